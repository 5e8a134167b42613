/**
 * Forged identity against the real kube-apiserver (issue 20, item 3). core/v1 validation checks
 * the involved object's namespace only for events without `eventTime`, and events.k8s.io/v1 not
 * at all: an Event created in namespace `attacker` may name a Pod in `victim`. Such an event must
 * reach the Collector under the attacker's namespace with none of the victim's pod, workload or
 * `service.*` attributes (no owner lookups), the claim and a marker on the record, and be counted,
 * whichever API the router reads and whichever API created it. A genuine event about the same pod
 * shows that the owner chain is there to be found.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VICTIM_RESOURCE_KEYS } from '../support/victim-keys.ts';
import { freePort } from './peer-process.ts';
import {
  type OtelRecord,
  type RouterProcess,
  collected,
  createNamespace,
  e2eEnv,
  kube,
  kubeOk,
  microTime,
  postCoreEvent,
  postEventsV1,
  routerConfig,
  runId,
  scratchDir,
  startRouter,
  waitFor,
} from './support.ts';

const LABELS = { 'app.kubernetes.io/name': 'web-svc', app: 'web' };
const TEMPLATE = { metadata: { labels: LABELS }, spec: { containers: [{ name: 'web', image: 'example.com/web:1.2.3' }] } };

/** A Deployment → ReplicaSet → Pod chain in `namespace`, created directly (no controller runs). */
async function ownerChain(namespace: string): Promise<{ pod: any }> {
  const deployment = await kubeOk('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: LABELS },
    spec: { replicas: 1, selector: { matchLabels: LABELS }, template: TEMPLATE },
  });
  const controlledBy = (o: any) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const replicaSet = await kubeOk('POST', `/apis/apps/v1/namespaces/${namespace}/replicasets`, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-7d9f', labels: LABELS, ownerReferences: controlledBy({ ...deployment, apiVersion: 'apps/v1', kind: 'Deployment' }) },
    spec: { replicas: 1, selector: { matchLabels: LABELS }, template: TEMPLATE },
  });
  const pod = await kubeOk('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f-abcde', labels: LABELS, ownerReferences: controlledBy({ ...replicaSet, apiVersion: 'apps/v1', kind: 'ReplicaSet' }) },
    spec: { nodeName: 'node-victim', containers: TEMPLATE.spec.containers },
  });
  return { pod };
}

function podRef(pod: any): Record<string, string> {
  return { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid, fieldPath: 'spec.containers{web}' };
}

/** What the resource of a record attributed to the victim's pod carries, with the object's apiVersion and fieldPath that podRef sets; none may be on a forged one. */
const VICTIM_KEYS = [...VICTIM_RESOURCE_KEYS, 'k8s.object.api_version', 'k8s.object.fieldpath'];

describe('forged identity through the real kube-apiserver', () => {
  const run = runId('e2e-id');
  const victim = `${run}-victim`;
  const attacker = `${run}-attacker`;
  const dir = scratchDir(run);
  const routers: Array<{ name: string; clusterName: string; port: number; process: RouterProcess }> = [];

  before(async () => {
    e2eEnv();
    await createNamespace(victim);
    await createNamespace(attacker);
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.process.stop('SIGKILL')));
  });

  it('exports events that name another namespace\'s pod under their own namespace, unattributed, marked and counted (core/v1 and events.k8s.io/v1)', async () => {
    const { pod } = await ownerChain(victim);
    for (const [name, api] of [
      ['core', 'core/v1'],
      ['events', 'events.k8s.io/v1'],
    ] as const) {
      const port = await freePort();
      const clusterName = `${run}-${name}`;
      const config = routerConfig({ clusterName, namespaces: [victim, attacker], api, extra: { server: { listen: `127.0.0.1:${port}` } } });
      routers.push({ name, clusterName, port, process: startRouter(dir, name, config) });
    }
    for (const r of routers) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${r.port}/readyz`).catch(() => undefined))?.status === 200, `${r.name}: ready`, 60_000, () => r.process.stderr.slice(-1500));
      // The counter is there before any mismatch.
      const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
      assert.match(text, /^eventrouter_events_identity_mismatch_total 0$/m, `${r.name}: the counter at 0`);
    }

    const now = new Date().toISOString();
    // The victim's own event: attributed to its pod, deployment and service.
    const genuine = await postCoreEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.genuine`, namespace: victim },
      involvedObject: podRef(pod),
      reason: 'Pulled',
      message: 'Container image pulled',
      type: 'Normal',
      count: 1,
      firstTimestamp: now.replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: now.replace(/\.\d+Z$/, 'Z'),
      source: { component: 'kubelet', host: 'node-victim' },
    });
    // core/v1 with eventTime: the API server checks the involved namespace only without it.
    const forgedCore = await postCoreEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'forged-core', namespace: attacker },
      involvedObject: podRef(pod),
      reason: 'BackOff',
      message: 'Back-off restarting failed container (forged)',
      type: 'Warning',
      eventTime: microTime(now),
      action: 'Restarting',
      reportingComponent: 'kubelet',
      reportingInstance: 'node-victim',
    });
    // events.k8s.io/v1 does not check `regarding` against the event's namespace at all.
    const forgedV1 = await postEventsV1({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'forged-v1', namespace: attacker },
      regarding: podRef(pod),
      reason: 'Unhealthy',
      note: 'Readiness probe failed (forged)',
      type: 'Warning',
      eventTime: microTime(now),
      action: 'Probing',
      reportingController: 'kubelet',
      reportingInstance: 'node-victim',
    });
    // A Node (cluster-scoped) from the attacker's namespace: with no involved namespace the API
    // server refuses it; given the attacker's namespace it passes, and must not become the node's.
    const nodeRef = { kind: 'Node', apiVersion: 'v1', name: 'node-victim', uid: 'node-victim' };
    const refused = await kube('POST', `/api/v1/namespaces/${attacker}/events`, {
      metadata: { name: 'forged-node-refused', namespace: attacker },
      involvedObject: nodeRef,
      reason: 'NodeNotReady',
      type: 'Warning',
      eventTime: microTime(now),
      action: 'Checking',
      reportingComponent: 'kubelet',
      reportingInstance: 'node-victim',
    });
    assert.equal(refused.status, 422, `the API server's own rule for cluster-scoped objects: ${refused.text.slice(0, 300)}`);
    const forgedNode = await postCoreEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'forged-node', namespace: attacker },
      involvedObject: { ...nodeRef, namespace: attacker },
      reason: 'NodeNotReady',
      message: 'Node is not ready (forged)',
      type: 'Warning',
      eventTime: microTime(now),
      action: 'Checking',
      reportingComponent: 'kubelet',
      reportingInstance: 'node-victim',
    });
    const forged = [forgedCore, forgedV1, forgedNode].map((o) => String(o.metadata.uid));
    const uids = [genuine.metadata.uid, ...forged];

    for (const r of routers) {
      const ours = () => collected(r.clusterName).filter((rec) => uids.includes(String(rec.attributes['k8s.event.uid'])));
      await waitFor(() => new Set(ours().map((rec) => rec.attributes['k8s.event.uid'])).size >= uids.length, `${r.name}: the ${uids.length} events at the Collector`, 60_000, () => `${ours().length} so far; stderr ${r.process.stderr.slice(-1500)}`);
      const byUid = (uid: string): OtelRecord => ours().find((rec) => rec.attributes['k8s.event.uid'] === uid)!;

      const own = byUid(genuine.metadata.uid);
      assert.equal(own.resource['k8s.namespace.name'], victim, `${r.name}: genuine ${JSON.stringify(own.resource)}`);
      assert.equal(own.resource['k8s.pod.name'], pod.metadata.name);
      assert.equal(own.resource['k8s.replicaset.name'], 'web-7d9f');
      assert.equal(own.resource['k8s.deployment.name'], 'web');
      assert.equal(own.resource['service.name'], 'web-svc');
      assert.equal(own.attributes['eventrouter.identity.mismatch'], undefined);

      for (const uid of forged) {
        const record = byUid(uid);
        const where = `${r.name}: forged ${record.attributes['k8s.event.name']}: ${JSON.stringify(record.resource)}`;
        assert.equal(record.resource['k8s.namespace.name'], attacker, where);
        for (const key of VICTIM_KEYS) assert.equal(record.resource[key], undefined, `${where}: ${key}`);
        assert.equal(record.resource['k8s.cluster.name'], r.clusterName);
        assert.equal(record.attributes['eventrouter.identity.mismatch'], true, where);
        assert.equal(record.attributes['k8s.event.uid'], uid);
      }
      const podClaims = [forgedCore, forgedV1].map((o) => byUid(String(o.metadata.uid)));
      for (const record of podClaims) {
        assert.equal(record.attributes['k8s.event.claimed.kind'], 'Pod');
        assert.equal(record.attributes['k8s.event.claimed.namespace'], victim);
        assert.equal(record.attributes['k8s.event.claimed.name'], pod.metadata.name);
        assert.equal(record.attributes['k8s.event.claimed.uid'], pod.metadata.uid);
      }
      const nodeClaim = byUid(String(forgedNode.metadata.uid));
      assert.equal(nodeClaim.attributes['k8s.event.claimed.kind'], 'Node');
      assert.equal(nodeClaim.attributes['k8s.event.claimed.name'], 'node-victim');

      const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
      assert.match(text, new RegExp(`^eventrouter_events_identity_mismatch_total ${forged.length}$`, 'm'), `${r.name}: counted`);
      console.log(`# identity e2e (${r.name}): genuine event attributed to ${own.resource['k8s.deployment.name']}/${own.resource['service.name']}; ${forged.length} forged events exported under ${attacker}, unattributed, counted`);
    }
  });

  it('both routers exit 0 on SIGTERM', async () => {
    for (const r of routers.splice(0)) {
      const result = await r.process.stop('SIGTERM');
      assert.equal(result.code, 0, r.process.stderr.slice(-2000));
    }
  });
});
