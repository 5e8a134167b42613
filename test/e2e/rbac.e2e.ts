/**
 * deploy/ against the real API server with RBAC on: the kustomize base passes a server-side
 * dry run; the ServiceAccount, ClusterRole, Role and bindings applied from deploy/ are enough
 * for the router (as deploy/ configures it: leader election on the `eventrouter` Lease and
 * the `eventrouter-checkpoint` ConfigMap in namespace `eventrouter`) running with a real
 * TokenRequest token; and what the roles do not grant is really refused (403).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type RouterProcess,
  collected,
  createNamespace,
  createSimpleEvents,
  e2eEnv,
  execResult,
  execText,
  kube,
  kubeOk,
  REPO,
  routerConfig,
  runId,
  scratchDir,
  sleep,
  startRouter,
  waitFor,
  writeTokenKubeconfig,
} from './support.ts';

const RBAC_FILES = ['namespace.yaml', 'serviceaccount.yaml', 'clusterrole.yaml', 'clusterrolebinding.yaml', 'role.yaml', 'rolebinding.yaml'];

describe('deploy/ RBAC on the real API server', () => {
  const ns = runId('e2e-rbac');
  const dir = scratchDir(ns);
  let token = '';
  let router: RouterProcess | undefined;

  before(async () => {
    e2eEnv();
    await createNamespace(ns);
  });
  after(async () => {
    await router?.stop('SIGKILL');
  });

  it('applies the RBAC manifests and issues a ServiceAccount token (TokenRequest)', async () => {
    const { EVENTROUTER_E2E_KUBECTL: kubectl } = e2eEnv();
    const out = await execText(kubectl, ['apply', ...RBAC_FILES.flatMap((f) => ['-f', join(REPO, 'deploy', f)])]);
    assert.match(out, /serviceaccount\/eventrouter (created|unchanged|configured)/);
    // A fresh start: no Lease or checkpoint left from an earlier run on this cluster.
    await kube('DELETE', '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases/eventrouter');
    await kube('DELETE', '/api/v1/namespaces/eventrouter/configmaps/eventrouter-checkpoint');
    const tr = await kubeOk('POST', '/api/v1/namespaces/eventrouter/serviceaccounts/eventrouter/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    token = tr.status.token;
    assert.ok(token.length > 100);
    const review = await kubeOk('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { token });
    assert.equal(review.status.userInfo.username, 'system:serviceaccount:eventrouter:eventrouter');
  });

  it('accepts the whole kustomize base in a server-side dry run (namespace applied first)', async () => {
    const { EVENTROUTER_E2E_KUBECTL: kubectl } = e2eEnv();
    // A dry run creates nothing, so on a cluster without the `eventrouter` Namespace every
    // namespaced object of the base answers NotFound; the Namespace was applied above.
    const result = await execResult(kubectl, ['apply', '--dry-run=server', '-k', join(REPO, 'deploy')]);
    assert.equal(result.code, 0, `kubectl apply --dry-run=server -k deploy/:\n${result.stderr}\n${result.stdout}`);
    // The ConfigMap comes from a configMapGenerator: its name carries a content hash.
    for (const kind of ['namespace/eventrouter', 'serviceaccount/eventrouter', 'clusterrole.rbac.authorization.k8s.io/eventrouter', 'role.rbac.authorization.k8s.io/eventrouter', 'configmap/eventrouter-config-[a-z0-9]{10}', 'deployment.apps/eventrouter']) {
      assert.match(result.stdout, new RegExp(`${kind.replace(/\./g, '\\.')} .*\\(server dry run\\)`), result.stdout);
    }
  });

  it('runs the router with that token: leader election, configmap checkpoint, events exported', async () => {
    assert.ok(token, 'token from the previous test');
    const kubeconfig = writeTokenKubeconfig(join(dir, 'sa.kubeconfig'), token);
    const clusterName = `${ns}-sa`;
    const before = await createSimpleEvents(ns, 'rbac-before', 20);
    router = startRouter(
      dir,
      'router-sa',
      routerConfig({
        clusterName,
        namespaces: [ns],
        checkpoint: { store: 'configmap', configMapName: 'eventrouter-checkpoint', interval: '500ms' },
        leaderElection: { enabled: true, leaseName: 'eventrouter', leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
      }),
      { KUBECONFIG: kubeconfig, POD_NAME: 'eventrouter-rbac-0', POD_NAMESPACE: 'eventrouter' },
    );
    await sleep(1000);
    const during = await createSimpleEvents(ns, 'rbac-during', 20);
    const uids = new Set([...before, ...during]);
    await waitFor(() => collected(clusterName).filter((r) => uids.has(String(r.attributes['k8s.event.uid']))).length >= uids.size, 'the 40 events via the ServiceAccount', 60_000, () => router!.stderr.slice(-1500));
    const lease = await kubeOk('GET', '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases/eventrouter');
    // The pod name plus a per-process suffix (src/leader/identity.ts): unique across replicas and restarts.
    assert.match(lease.spec.holderIdentity, /^eventrouter-rbac-0_[0-9a-f-]{36}$/);
    await waitFor(async () => (await kube('GET', '/api/v1/namespaces/eventrouter/configmaps/eventrouter-checkpoint')).status === 200, 'the checkpoint ConfigMap', 15_000);
    const records = collected(clusterName);
    assert.equal(records.length, uids.size, 'exactly once');
    assert.ok(records.every((r) => typeof r.resource['k8s.cluster.uid'] === 'string'), 'k8s.cluster.uid read with the role (get namespaces)');
    const result = await router.stop('SIGTERM');
    assert.equal(result.code, 0, router.stderr.slice(-2000));
    assert.doesNotMatch(router.stdout + router.stderr, /forbidden|\b403\b/i, 'no request of the router was refused');
    const cm = await kubeOk('GET', '/api/v1/namespaces/eventrouter/configmaps/eventrouter-checkpoint');
    assert.match(JSON.stringify(cm.data), new RegExp(ns), 'the checkpoint holds the namespace scope');
  });

  it('refuses what the roles do not grant (403)', async () => {
    const [uid] = await createSimpleEvents(ns, 'rbac-forbidden', 1);
    const event = (await kubeOk('GET', `/api/v1/namespaces/${ns}/events`)).items.find((o: any) => o.metadata.uid === uid);
    const checks: Array<[string, string, unknown?]> = [
      ['DELETE', `/api/v1/namespaces/${ns}/events/${event.metadata.name}`],
      // The source lists and watches; it never GETs one event, nor any Namespace but kube-system.
      ['GET', `/api/v1/namespaces/${ns}/events/${event.metadata.name}`],
      ['GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events/${event.metadata.name}`],
      ['GET', '/api/v1/namespaces/default'],
      ['GET', '/api/v1/namespaces'],
      ['POST', `/api/v1/namespaces/${ns}/events`, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'x', namespace: ns }, involvedObject: { kind: 'Pod', name: 'p', namespace: ns } }],
      ['GET', '/api/v1/secrets'],
      ['GET', '/api/v1/namespaces/eventrouter/secrets'],
      ['GET', '/api/v1/pods'],
      ['GET', '/api/v1/namespaces/eventrouter/configmaps/eventrouter-config'],
      ['PUT', '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases/someone-else', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'someone-else', namespace: 'eventrouter' } }],
      ['DELETE', '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases/eventrouter'],
      ['GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`],
    ];
    for (const [method, path, body] of checks) {
      const res = await kube(method, path, body, { token });
      assert.equal(res.status, 403, `${method} ${path} as the ServiceAccount: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
    // ...while what it needs is allowed.
    for (const path of [`/api/v1/events?limit=1`, `/apis/events.k8s.io/v1/events?limit=1`, '/api/v1/namespaces/kube-system', '/apis/coordination.k8s.io/v1/namespaces/eventrouter/leases/eventrouter']) {
      const res = await kube('GET', path, undefined, { token });
      assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
  });
});
