/**
 * Real fixture events, created through the real API server (core/v1 and events.k8s.io/v1
 * POST), arrive at the real Collector exactly once each, mapped per DESIGN.md — once through
 * a router reading core/v1 and exporting http/protobuf, once through a router reading
 * events.k8s.io/v1 and exporting gRPC. Events created before the routers start take the LIST
 * path, the rest the WATCH path; then one event recurs (count 1 → 2: one more record) and
 * one is touched without a new occurrence (no record).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_FIXTURES, fixtureEvents } from '../support/fixtures.ts';
import {
  type OtelRecord,
  type RouterProcess,
  collected,
  countBy,
  createNamespace,
  creatableCoreEvent,
  creatableEventsV1,
  e2eEnv,
  keyOf,
  kubeOk,
  kubeSystemUid,
  postCoreEvent,
  postEventsV1,
  routerConfig,
  runId,
  scratchDir,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';

const SEVERITY: Record<string, number> = { Normal: 9, Warning: 13 };

/** Kinds with a semconv name attribute of their own, with their API group. */
const KIND_NAME: Record<string, [string, string]> = {
  Pod: ['', 'k8s.pod.name'],
  Node: ['', 'k8s.node.name'],
  Deployment: ['apps', 'k8s.deployment.name'],
  ReplicaSet: ['apps', 'k8s.replicaset.name'],
  StatefulSet: ['apps', 'k8s.statefulset.name'],
  DaemonSet: ['apps', 'k8s.daemonset.name'],
  Job: ['batch', 'k8s.job.name'],
  CronJob: ['batch', 'k8s.cronjob.name'],
};

const nanos = (rfc3339: string): bigint => {
  const ms = BigInt(Date.parse(rfc3339));
  const fraction = /\.(\d+)/.exec(rfc3339)?.[1] ?? '';
  const micros = fraction.length > 3 ? BigInt(fraction.padEnd(6, '0').slice(3, 6)) : 0n;
  return ms * 1_000_000n + micros * 1000n;
};

/**
 * What DESIGN.md says the record of core/v1 Event `o` (as stored by the API server) must
 * carry; independent of the product's code. Returns a list of mismatches.
 */
function mismatches(o: any, r: OtelRecord, clusterName: string, clusterUid: string): string[] {
  const out: string[] = [];
  const eq = (where: string, actual: unknown, expected: unknown) => {
    if (expected === undefined || expected === null || expected === '') return;
    if (actual !== expected) out.push(`${where}: ${JSON.stringify(actual)} != expected ${JSON.stringify(expected)}`);
  };
  const io = o.involvedObject ?? {};
  eq('resource k8s.cluster.name', r.resource['k8s.cluster.name'], clusterName);
  eq('resource k8s.cluster.uid', r.resource['k8s.cluster.uid'], clusterUid);
  eq('resource k8s.namespace.name', r.resource['k8s.namespace.name'], io.namespace || (io.kind === 'Namespace' ? io.name : undefined) || o.metadata.namespace);
  eq('resource k8s.object.kind', r.resource['k8s.object.kind'], io.kind);
  eq('resource k8s.object.name', r.resource['k8s.object.name'], io.name);
  eq('resource k8s.object.uid', r.resource['k8s.object.uid'], io.uid);
  eq('resource k8s.object.api_version', r.resource['k8s.object.api_version'], io.apiVersion);
  eq('resource k8s.object.fieldpath', r.resource['k8s.object.fieldpath'], io.fieldPath);
  const kindName = KIND_NAME[io.kind as string];
  if (kindName && io.name && (io.apiVersion === undefined || (io.apiVersion.includes('/') ? io.apiVersion.split('/')[0] : '') === kindName[0])) {
    eq(`resource ${kindName[1]}`, r.resource[kindName[1]], io.name);
  }
  const container = /^spec\.(?:containers|initContainers|ephemeralContainers)\{([^}]+)\}/.exec(io.fieldPath ?? '')?.[1];
  eq('resource k8s.container.name', r.resource['k8s.container.name'], container);
  for (const key of Object.keys(r.resource)) {
    if (/^k8s\.event\./.test(key) || key === 'k8s.object.resource_version') out.push(`per-event attribute ${key} on the resource`);
  }
  eq('k8s.event.reason', r.attributes['k8s.event.reason'], o.reason);
  eq('k8s.event.action', r.attributes['k8s.event.action'], o.action);
  eq('k8s.event.name', r.attributes['k8s.event.name'], o.metadata.name);
  eq('k8s.event.uid', r.attributes['k8s.event.uid'], o.metadata.uid);
  eq('k8s.event.count', r.attributes['k8s.event.count'], o.series?.count ?? o.count);
  eq('k8s.event.resource_version', r.attributes['k8s.event.resource_version'], o.metadata.resourceVersion);
  eq('k8s.event.reporting_controller', r.attributes['k8s.event.reporting_controller'], o.reportingComponent || o.source?.component);
  eq('k8s.event.reporting_instance', r.attributes['k8s.event.reporting_instance'], o.reportingInstance || o.source?.host);
  eq('k8s.object.resource_version', r.attributes['k8s.object.resource_version'], io.resourceVersion);
  const start = o.firstTimestamp ?? o.eventTime;
  if (start) {
    const got = r.attributes['k8s.event.start_time'];
    if (typeof got !== 'string' || Date.parse(got) !== Date.parse(start)) out.push(`k8s.event.start_time: ${JSON.stringify(got)} != ${start}`);
  }
  if (o.related) {
    eq('k8s.event.related.kind', r.attributes['k8s.event.related.kind'], o.related.kind);
    eq('k8s.event.related.name', r.attributes['k8s.event.related.name'], o.related.name);
  }
  eq('severityNumber', r.severityNumber, SEVERITY[o.type as string] ?? 0);
  eq('severityText', r.severityText, o.type);
  if ((r.body ?? '') !== (o.message ?? '')) out.push(`body: ${JSON.stringify(r.body)?.slice(0, 80)} != message ${JSON.stringify(o.message)?.slice(0, 80)}`);
  eq('eventName', r.eventName, 'k8s.event');
  eq('scope', r.scope.name, 'eventrouter');
  const ts = o.series?.lastObservedTime ?? o.eventTime ?? o.lastTimestamp ?? o.firstTimestamp ?? o.metadata.creationTimestamp;
  if (BigInt(r.timeUnixNano) !== nanos(ts)) out.push(`timeUnixNano ${r.timeUnixNano} != ${ts} (${nanos(ts)})`);
  if (BigInt(r.observedTimeUnixNano) < BigInt(Date.parse(o.metadata.creationTimestamp)) * 1_000_000n) out.push('observedTimeUnixNano before the event was created');
  return out;
}

describe('mapping through the real API server and the real Collector', () => {
  const ns = runId('e2e-map');
  const dir = scratchDir(ns);
  const runs = {
    coreHttp: { clusterName: `${ns}-core-http`, api: 'core/v1' as const, protocol: 'http/protobuf' as const },
    eventsGrpc: { clusterName: `${ns}-events-grpc`, api: 'events.k8s.io/v1' as const, protocol: 'grpc' as const },
  };
  const routers: RouterProcess[] = [];
  /** uid → namespace of every event this test created. */
  const created = new Map<string, string>();
  let clusterUid = '';

  const create = async (fixture: Record<string, unknown>, via: 'core' | 'events', i: number) => {
    const about = (fixture['involvedObject'] ?? fixture['regarding']) as any;
    // Events about cluster-scoped objects (Nodes) must live in `default` (API validation); the
    // API server's own events about a Namespace name it with namespace `default`, and stay there
    // (the router trusts a cluster-scoped claim only from default or kube-system).
    const clusterScoped = !about?.namespace || about?.kind === 'Namespace';
    const target = clusterScoped ? 'default' : ns;
    const name = `${ns}.${via}.${i}`;
    const obj = via === 'core' ? await postCoreEvent(creatableCoreEvent(fixture, target, name)) : await postEventsV1(creatableEventsV1(fixture, target, name));
    created.set(obj.metadata.uid, target);
  };

  before(async () => {
    e2eEnv();
    await createNamespace(ns);
    clusterUid = await kubeSystemUid();
  });
  after(async () => {
    await Promise.all(routers.map((r) => r.stop('SIGKILL')));
  });

  it('exports every fixture event exactly once, mapped per DESIGN.md, over http/protobuf and gRPC', async () => {
    let i = 0;
    // LIST path: created before the routers start.
    for (const file of EVENT_FIXTURES) {
      if (file === 'kspan-events-extracted.yaml') continue;
      for (const event of fixtureEvents(file)) {
        i += 1;
        const v1beta1Shape = 'regarding' in event;
        await create(event, v1beta1Shape ? 'events' : 'core', i);
      }
    }
    for (const event of fixtureEvents('troubleshoot-supportbundle-default-eventlist.json')) await create(event, 'events', ++i);
    const listed = created.size;

    for (const [name, run] of Object.entries(runs)) {
      routers.push(startRouter(dir, name, routerConfig({ clusterName: run.clusterName, namespaces: [ns, 'default'], api: run.api, protocol: run.protocol })));
    }
    await sleep(1500);
    // WATCH path: created while the routers run.
    for (const event of fixtureEvents('kspan-events-extracted.yaml')) {
      await create(event, 'core', ++i);
      await create(event, 'events', ++i);
    }
    const uids = [...created.keys()];
    assert.ok(listed > 150 && uids.length > listed + 30, `created ${listed} + ${uids.length - listed} events`);

    // The stored objects, as the core/v1 API serves them, are the expectation.
    const stored = new Map<string, any>();
    for (const namespace of [ns, 'default']) {
      const list = await kubeOk('GET', `/api/v1/namespaces/${namespace}/events?limit=5000`);
      for (const o of list.items) if (created.has(o.metadata.uid)) stored.set(o.metadata.uid, o);
    }
    assert.equal(stored.size, uids.length);

    for (const [name, run] of Object.entries(runs)) {
      const ours = () => collected(run.clusterName).filter((r) => created.has(String(r.attributes['k8s.event.uid'])));
      await waitFor(() => new Set(ours().map(keyOf)).size >= uids.length, `${name}: all ${uids.length} events at the Collector`, 60_000, () => `${new Set(ours().map(keyOf)).size} so far`);
    }
    await sleep(2000); // anything extra would have arrived by now
    for (const [name, run] of Object.entries(runs)) {
      const all = collected(run.clusterName);
      const ours = all.filter((r) => created.has(String(r.attributes['k8s.event.uid'])));
      const counts = countBy(ours, (r) => String(r.attributes['k8s.event.uid']));
      const dupes = [...counts].filter(([, n]) => n !== 1);
      assert.deepEqual(dupes, [], `${name}: every event exactly once`);
      assert.equal(counts.size, uids.length, `${name}: no event missing`);
      // Anything else this router exported is an older event of `default` (earlier runs), never of ours.
      for (const r of all) if (!created.has(String(r.attributes['k8s.event.uid']))) assert.equal(r.resource['k8s.namespace.name'] === ns, false);
      const problems: string[] = [];
      for (const r of ours) {
        const o = stored.get(String(r.attributes['k8s.event.uid']));
        for (const m of mismatches(o, r, run.clusterName, clusterUid)) problems.push(`${o.metadata.namespace}/${o.metadata.name}: ${m}`);
      }
      assert.deepEqual(problems.slice(0, 20), [], `${name}: ${problems.length} mapping mismatches`);
      const kinds = countBy(ours, (r) => String(r.resource['k8s.object.kind']));
      const severities = countBy(ours, (r) => String(r.severityNumber));
      console.log(`# ${name}: ${ours.length} records; kinds ${JSON.stringify(Object.fromEntries(kinds))}; severities ${JSON.stringify(Object.fromEntries(severities))}`);
      assert.ok((severities.get('13') ?? 0) > 0 && (severities.get('9') ?? 0) > 0, 'both Normal and Warning events');
    }
  });

  it('exports a recurrence (count 1 → 2) once more and ignores a MODIFIED that is no new occurrence', async () => {
    const [first, second] = (await kubeOk('GET', `/api/v1/namespaces/${ns}/events?limit=500`)).items.filter((o: any) => o.count === 1 && !o.series);
    assert.ok(first && second, 'two events with count 1');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeOk('PATCH', `/api/v1/namespaces/${ns}/events/${first.metadata.name}`, { count: 2, lastTimestamp: now }, {}, 'application/merge-patch+json');
    await kubeOk('PATCH', `/api/v1/namespaces/${ns}/events/${second.metadata.name}`, { metadata: { labels: { touched: 'yes' } } }, {}, 'application/merge-patch+json');
    for (const [name, run] of Object.entries(runs)) {
      await waitFor(() => collected(run.clusterName).some((r) => keyOf(r) === `${first.metadata.uid}/2`), `${name}: the second occurrence`, 30_000);
    }
    await sleep(2000);
    for (const [name, run] of Object.entries(runs)) {
      const records = collected(run.clusterName);
      const recurrence = records.filter((r) => r.attributes['k8s.event.uid'] === first.metadata.uid);
      assert.deepEqual(recurrence.map((r) => r.attributes['k8s.event.count']).sort(), [1, 2], `${name}: one record per occurrence`);
      const second2 = recurrence.find((r) => r.attributes['k8s.event.count'] === 2)!;
      assert.equal(BigInt(second2.timeUnixNano), nanos(now), `${name}: the recurrence is stamped with its lastTimestamp`);
      assert.equal(records.filter((r) => r.attributes['k8s.event.uid'] === second.metadata.uid).length, 1, `${name}: a label change is no occurrence`);
    }
  });

  it('both routers exit 0 on SIGTERM', async () => {
    for (const router of routers.splice(0)) {
      const result = await router.stop('SIGTERM');
      assert.equal(result.code, 0, router.stderr.slice(-2000));
    }
  });
});
