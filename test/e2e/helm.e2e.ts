/**
 * The Helm chart installed with `helm install` into the real kube-apiserver, and the router run
 * as that release configures it, the way its pods would: the release's ServiceAccount (a token
 * from the TokenRequest API, so its RBAC is what the release granted), the config.yaml of the
 * release's ConfigMap, the pod environment of its Deployment (POD_NAME, POD_NAMESPACE,
 * EVENTROUTER_CONFIG), and so its Lease and checkpoint ConfigMap names. There is no kubelet:
 * two router processes are the Deployment's two replicas; the only change to the rendered
 * config is `server.listen` (each pod has its own network namespace, these processes share
 * loopback). Two replicas, SIGKILL of the leader once its checkpoint covers what it exported:
 * the standby takes over, nothing is lost, nothing is sent twice.
 *
 * A second release in the same namespace installs beside the first (Helm refuses objects another
 * release owns) and gets its own Lease and checkpoint names.
 *
 * helm: the pinned build of scripts/e2e-build (<cache>/helm-<version>/bin/helm) or $HELM.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { findPinnedTool, pinnedVersion } from '../deploy/pinned-tool.ts';
import { freePort } from './peer-process.ts';
import {
  type RouterProcess,
  collected,
  createSimpleEvents,
  delivery,
  e2eEnv,
  execResult,
  kube,
  kubeOk,
  REPO,
  runId,
  scratchDir,
  startRouter,
  waitFor,
  writeTokenKubeconfig,
} from './support.ts';

/**
 * The chart as shipped, except Chart.yaml's `kubeVersion`: the e2e kube-apiserver is built
 * from source without version stamps and reports v0.0.0-master, which `>=1.27.0-0` refuses
 * (it serves the v1.37.2 APIs: scripts/e2e-versions.sh).
 */
function chartCopy(dir: string): string {
  const copy = join(dir, 'chart');
  cpSync(join(REPO, 'deploy', 'helm', 'eventrouter'), copy, { recursive: true });
  const chartYaml = join(copy, 'Chart.yaml');
  const text = readFileSync(chartYaml, 'utf8');
  assert.match(text, /^kubeVersion: .*$/m);
  writeFileSync(chartYaml, text.replace(/^kubeVersion: .*$/m, ''));
  return copy;
}

function helmBin(): string {
  const helm = findPinnedTool('helm', 'E2E_HELM_VERSION', 'HELM');
  if (helm === undefined) throw new Error(`no helm ${pinnedVersion('E2E_HELM_VERSION')}: run scripts/e2e-build helm (or set HELM)`);
  return helm;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

describe('the Helm chart installed on the real API server, run as its release configures it', () => {
  const ns = runId('e2e-helm');
  const dir = scratchDir(ns);
  const release = 'er';
  const fullname = `${release}-eventrouter`;
  const clusterName = `${ns}-c`;
  const routers: RouterProcess[] = [];
  let helm = '';
  let chart = '';

  const runHelm = async (args: string[]) => {
    const result = await execResult(helm, [...args, '--kubeconfig', e2eEnv().KUBECONFIG], 180_000);
    assert.equal(result.code, 0, `helm ${args.join(' ')}:\n${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };
  const holder = async (): Promise<string> => {
    const res = await kube('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${fullname}`);
    return res.status === 200 ? String(res.body.spec.holderIdentity ?? '').replace(/_[0-9a-f-]{36}$/, '') : '';
  };

  before(() => {
    e2eEnv();
    helm = helmBin();
    chart = chartCopy(dir);
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.stop('SIGKILL')));
  });

  it('installs with helm install; two replicas, leader SIGKILL: the standby takes over, nothing lost, nothing twice', async () => {
    const env = e2eEnv();
    // What a user sets for a cluster: its name, the Collector, this namespace's events; shorter
    // lease and checkpoint intervals so that the failover takes seconds.
    const values = {
      config: {
        clusterName,
        source: { namespaces: [ns], minBackoff: '200ms', maxBackoff: '2s' },
        checkpoint: { interval: '500ms' },
        leaderElection: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
        sinks: [{ name: 'collector', type: 'otlp', endpoint: env.EVENTROUTER_E2E_OTLP_HTTP, protocol: 'http/protobuf', batchTimeout: '200ms', initialBackoff: '200ms', maxBackoff: '2s' }],
      },
    };
    writeFileSync(join(dir, 'values.yaml'), stringify(values));
    const out = await runHelm(['install', release, chart, '--namespace', ns, '--create-namespace', '--values', join(dir, 'values.yaml')]);
    console.log(`# ${out.split('\n').slice(0, 4).join(' | ')}`);

    // The release as the API server holds it.
    const deployment = await kubeOk('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${fullname}`);
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const configMap = await kubeOk('GET', `/api/v1/namespaces/${ns}/configmaps/${fullname}-config`);
    const config = parse(configMap.data['config.yaml']) as Record<string, any>;
    assert.equal(config['leaderElection'].leaseName, fullname, 'the Lease is named after the release');
    assert.equal(config['checkpoint'].configMapName, `${fullname}-checkpoint`, 'so is the checkpoint ConfigMap');
    // Each replica is a pod with its own network namespace; these processes share loopback.
    const token = (
      await kubeOk('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${pod.serviceAccountName}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      })
    ).status.token as string;
    const kubeconfig = writeTokenKubeconfig(join(dir, 'sa.kubeconfig'), token);

    /** A replica: the Deployment's env (fieldRefs resolved as the kubelet does), the ConfigMap's config. */
    const replica = async (podName: string): Promise<RouterProcess> => {
      const podEnv: Record<string, string> = {};
      for (const e of container.env as EnvVar[]) {
        const field = e.valueFrom?.fieldRef?.fieldPath;
        podEnv[e.name] = field === 'metadata.name' ? podName : field === 'metadata.namespace' ? ns : String(e.value ?? '');
      }
      const replicaConfig = { ...config, server: { ...config['server'], listen: `127.0.0.1:${await freePort()}` } };
      podEnv['EVENTROUTER_CONFIG'] = join(dir, `${podName}.yaml`); // the mounted /etc/eventrouter/config.yaml
      const router = startRouter(dir, podName, replicaConfig, { ...podEnv, KUBECONFIG: kubeconfig, OTEL_RESOURCE_ATTRIBUTES: `e2e.router=${podName}` });
      routers.push(router);
      return router;
    };

    const before = await createSimpleEvents(ns, 'helm-before', 20);
    const a = await replica(`${fullname}-5d9c7b-a`);
    await waitFor(async () => (await holder()) === `${fullname}-5d9c7b-a`, 'replica a to lead', 30_000, () => a.stderr.slice(-1500));
    const b = await replica(`${fullname}-5d9c7b-b`);
    const during = await createSimpleEvents(ns, 'helm-during', 30);
    const first = [...before, ...during].map((u) => `${u}/1`);
    await waitFor(() => delivery(collected(clusterName), first).missing.length === 0, 'the first 50 events from the leader', 60_000, () => a.stderr.slice(-1500));
    assert.deepEqual([...new Set(collected(clusterName).map((r) => r.resource['e2e.router']))], [`${fullname}-5d9c7b-a`], 'only the leader exports');
    // The leader's checkpoint covers what it exported (the last event's resourceVersion) before it is killed.
    const lastRv = Math.max(...(await kubeOk('GET', `/api/v1/namespaces/${ns}/events`)).items.map((e: any) => Number(e.metadata.resourceVersion)));
    await waitFor(
      async () => {
        const res = await kube('GET', `/api/v1/namespaces/${ns}/configmaps/${fullname}-checkpoint`);
        if (res.status !== 200) return false;
        const checkpoint = JSON.parse(res.body.data['checkpoint.json']) as { scopes: Record<string, string> };
        return Number(checkpoint.scopes[ns] ?? 0) >= lastRv;
      },
      `the checkpoint ConfigMap ${fullname}-checkpoint at resourceVersion ${lastRv}`,
      30_000,
      () => JSON.stringify(routers.map((r) => r.stderr.slice(-500))),
    );
    await a.stop('SIGKILL');
    const whileNoLeader = await createSimpleEvents(ns, 'helm-failover', 30);
    await waitFor(async () => (await holder()) === `${fullname}-5d9c7b-b`, 'replica b to take over', 30_000, () => b.stderr.slice(-1500));
    const after = await createSimpleEvents(ns, 'helm-after', 20);
    const all = [...first, ...[...whileNoLeader, ...after].map((u) => `${u}/1`)];
    await waitFor(() => delivery(collected(clusterName), all).missing.length === 0, 'every event after the failover', 60_000, () => b.stderr.slice(-1500));
    const d = delivery(collected(clusterName), all);
    const byRouter = Object.fromEntries([...new Set(collected(clusterName).map((r) => String(r.resource['e2e.router'])))].map((n) => [n, collected(clusterName).filter((r) => r.resource['e2e.router'] === n).length]));
    console.log(`# helm release ${release} in ${ns}: ${all.length} events, records by replica ${JSON.stringify(byRouter)}, missing ${d.missing.length}, duplicates ${d.duplicates}`);
    assert.deepEqual(d.missing, []);
    assert.equal(d.duplicates, 0, 'the new leader resumes after the checkpoint: nothing twice');
    assert.deepEqual(d.unexpected, []);
    assert.doesNotMatch(a.stderr + b.stderr, /forbidden|\b403\b/i, "no request was refused by the release's RBAC");
    assert.equal((await b.stop('SIGTERM')).code, 0, b.stderr.slice(-2000));
  });

  it('installs a second release beside it in the same namespace: no object in common, its own Lease and checkpoint', async () => {
    await runHelm(['install', 'other', chart, '--namespace', ns]);
    const configMap = await kubeOk('GET', `/api/v1/namespaces/${ns}/configmaps/other-eventrouter-config`);
    const config = parse(configMap.data['config.yaml']) as Record<string, any>;
    assert.equal(config['leaderElection'].leaseName, 'other-eventrouter');
    assert.equal(config['checkpoint'].configMapName, 'other-eventrouter-checkpoint');
    const role = await kubeOk('GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/other-eventrouter`);
    assert.deepEqual(role.rules.flatMap((r: any) => r.resourceNames ?? []).sort(), ['other-eventrouter', 'other-eventrouter-checkpoint']);
    const list = await runHelm(['list', '--namespace', ns, '--short']);
    assert.deepEqual(list.trim().split('\n').sort(), ['er', 'other']);
    await runHelm(['uninstall', 'other', '--namespace', ns]);
    await runHelm(['uninstall', release, '--namespace', ns]);
  });
});
