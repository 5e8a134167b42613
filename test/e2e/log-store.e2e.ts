/**
 * A real log store at the end of the pipe: eventrouter → Collector (otel-collector.yaml's
 * extensions and pipeline, with the README's VictoriaLogs exporter on its persistent queue) →
 * VictoriaLogs (built by scripts/e2e-build). Then LogsQL over its HTTP API: one Deployment's
 * events, one service's, the Warnings of a namespace over a time range, each exactly once.
 * Then VictoriaLogs is restarted while events keep coming, and the Collector likewise: nothing
 * is lost (the counts are printed).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort, httpReady, type Peer, startPeer } from './peer-process.ts';
import {
  type RouterProcess,
  countBy,
  createNamespace,
  e2eEnv,
  kubeOk,
  postCoreEvent,
  REPO,
  routerConfig,
  runId,
  scratchDir,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';
import { type LogEntry, queryLogs, startVictoriaLogs, victoriaLogsBin } from './victoria-logs.ts';

/** The README's VictoriaLogs exporter (the yaml block that defines `otlp_http/victorialogs`): what users copy is what runs here. */
function readmeExporter(): any {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('otlp_http/victorialogs:'));
  assert.ok(block, 'README.md has a yaml block with the otlp_http/victorialogs exporter');
  return parse(block).exporters['otlp_http/victorialogs'];
}

/**
 * otel-collector.yaml (its extensions, receiver, processors and logs pipeline) with its backend
 * exporters replaced by the README's VictoriaLogs exporter; loopback ports, a scratch queue dir.
 */
function collectorConfig(ports: { otlp: number; health: number; store: number }, queueDir: string): Record<string, any> {
  const shipped = parse(readFileSync(join(REPO, 'otel-collector.yaml'), 'utf8'));
  const exporter = structuredClone(readmeExporter());
  exporter.logs_endpoint = String(exporter.logs_endpoint).replace(/^https?:\/\/[^/]+/, `http://127.0.0.1:${ports.store}`);
  // Retry sooner than the defaults (5 s doubling to 30 s) so the test does not idle after a restart.
  exporter.retry_on_failure = { ...exporter.retry_on_failure, initial_interval: '200ms', max_interval: '1s' };
  const storage = structuredClone(shipped.extensions.file_storage);
  storage.directory = queueDir;
  if (storage.compaction?.directory) storage.compaction.directory = queueDir;
  const logs = shipped.service.pipelines.logs;
  return {
    extensions: { ...shipped.extensions, health_check: { endpoint: `127.0.0.1:${ports.health}` }, file_storage: storage },
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${ports.otlp}` } } } },
    processors: shipped.processors,
    exporters: { 'otlp_http/victorialogs': exporter },
    service: {
      extensions: shipped.service.extensions,
      telemetry: { metrics: { level: 'none' } },
      pipelines: { logs: { receivers: logs.receivers, processors: logs.processors, exporters: ['otlp_http/victorialogs'] } },
    },
  };
}

interface Obj {
  kind: string;
  apiVersion: string;
  name: string;
  uid: string;
}

describe('VictoriaLogs at the end of the pipe (real Collector, real store)', () => {
  const ns = runId('e2e-store');
  const dir = scratchDir(ns);
  const clusterName = `${ns}-er`;
  const ports = { otlp: 0, health: 0, store: 0 };
  let store: Peer | undefined;
  let collector: Peer | undefined;
  let router: RouterProcess | undefined;
  let base = '';
  const pods: Record<string, Obj> = {};
  /** uid → what was posted (phase, type, time). */
  const posted = new Map<string, { phase: string; type: string; deployment: string }>();
  let seq = 0;

  const startCollector = async () => {
    const env = e2eEnv();
    collector = await startPeer({
      name: 'otelcol-store',
      bin: env.EVENTROUTER_E2E_OTELCOL,
      args: [`--config=${join(dir, 'collector.yaml')}`],
      dir,
      ready: httpReady(`http://127.0.0.1:${ports.health}/`),
    });
  };

  const create = async (path: string, body: Record<string, unknown>): Promise<Obj> => {
    const o = await kubeOk('POST', path, body);
    return { kind: o.kind, apiVersion: o.apiVersion, name: o.metadata.name, uid: o.metadata.uid };
  };
  const ref = (o: Obj) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: true });
  /** Deployment → ReplicaSet → Pod, as their controllers would create them. */
  const workload = async (name: string, labels: Record<string, string>, annotations: Record<string, string>) => {
    const template = { metadata: { labels: { app: name, ...labels }, annotations }, spec: { containers: [{ name: 'app', image: `registry.example/${name}:1.0` }] } };
    const deployment = await create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: { selector: { matchLabels: { app: name } }, template },
    });
    const rs = await create(`/apis/apps/v1/namespaces/${ns}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${name}-7c9d8f6b5`, ownerReferences: [ref(deployment)] },
      spec: { selector: { matchLabels: { app: name } }, template },
    });
    pods[name] = await create(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-7c9d8f6b5-abcde`, labels: template.metadata.labels, annotations, ownerReferences: [ref(rs)] },
      spec: { nodeName: 'node-e2e-a', containers: template.spec.containers },
    });
  };

  /** An event about the pod of `deployment`, stamped `at` (its lastTimestamp is the record's time). */
  const post = async (deployment: string, phase: string, type: 'Normal' | 'Warning', at = new Date()) => {
    const p = pods[deployment]!;
    const ts = at.toISOString().replace(/\.\d+Z$/, 'Z');
    const created = await postCoreEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${p.name}.${process.pid.toString(16)}${(++seq).toString(16).padStart(6, '0')}`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: p.name, namespace: ns, uid: p.uid, fieldPath: 'spec.containers{app}' },
      reason: type === 'Warning' ? 'Unhealthy' : 'Pulled',
      message: `${phase} ${type} ${seq}`,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component: 'kubelet', host: 'node-e2e-a' },
    });
    posted.set(created.metadata.uid, { phase, type, deployment });
  };

  /** Every entry of this run in the store, by `k8s.event.uid`. */
  const stored = async (): Promise<Map<string, number>> =>
    countBy(await queryLogs(base, `{k8s.cluster.name="${clusterName}"} | fields k8s.event.uid`), (e) => e['k8s.event.uid'] ?? '');

  const uidsOf = (entries: LogEntry[]) => entries.map((e) => e['k8s.event.uid'] ?? '').sort();
  const expected = (filter: (p: { phase: string; type: string; deployment: string }) => boolean) =>
    [...posted].filter(([, p]) => filter(p)).map(([uid]) => uid).sort();

  before(async () => {
    e2eEnv();
    victoriaLogsBin();
    await createNamespace(ns);
    ports.otlp = await freePort();
    ports.health = await freePort();
    ports.store = await freePort();
    base = `http://127.0.0.1:${ports.store}`;
    writeFileSync(join(dir, 'collector.yaml'), JSON.stringify(collectorConfig(ports, join(dir, 'queue')), null, 2));
    mkdirSync(join(dir, 'queue'), { recursive: true });
    store = await startVictoriaLogs(dir, ports.store);
    await startCollector();
    await workload('web', { 'app.kubernetes.io/name': 'web' }, {});
    await workload('api', {}, { 'resource.opentelemetry.io/service.name': 'orders-api' });
    router = startRouter(
      dir,
      'eventrouter',
      routerConfig({
        clusterName,
        namespaces: [ns],
        extra: { sinks: [{ name: 'collector', type: 'otlp', endpoint: `http://127.0.0.1:${ports.otlp}`, protocol: 'http/protobuf', batchTimeout: '200ms', initialBackoff: '200ms', maxBackoff: '1s' }] },
      }),
    );
  });

  after(async () => {
    await router?.stop('SIGKILL');
    await collector?.stop('SIGKILL');
    await store?.stop('SIGKILL');
  });

  it('answers LogsQL by Deployment, by service and by severity over a time range with exactly the events posted, once', async () => {
    const old = new Date(Date.now() - 2 * 3600_000);
    for (let i = 0; i < 4; i++) await post('web', 'old', i % 2 === 0 ? 'Warning' : 'Normal', new Date(old.getTime() + i * 1000));
    const start = new Date();
    for (let i = 0; i < 20; i++) await post(i % 2 === 0 ? 'web' : 'api', 'now', i % 4 === 0 ? 'Warning' : 'Normal');
    const end = new Date(Date.now() + 2000);
    await waitFor(async () => (await stored()).size >= posted.size, `all ${posted.size} events in VictoriaLogs`, 60_000, () => `${router?.stderr.slice(-1000)}\n${collector?.output.slice(-1500)}`);

    // Stream filters on stream fields (the Loki-like labels), then field filters.
    const byDeployment = await queryLogs(base, `{k8s.cluster.name="${clusterName}", k8s.deployment.name="web"}`);
    assert.deepEqual(uidsOf(byDeployment), expected((p) => p.deployment === 'web'), 'the events of Deployment web, once each');
    const byService = await queryLogs(base, `{k8s.cluster.name="${clusterName}", service.name="orders-api"}`);
    assert.deepEqual(uidsOf(byService), expected((p) => p.deployment === 'api'), 'the events of service orders-api, once each');
    const warnings = await queryLogs(base, `{k8s.cluster.name="${clusterName}", k8s.namespace.name="${ns}"} severity_text:=Warning`, {
      start: new Date(start.getTime() - 1000).toISOString(),
      end: end.toISOString(),
    });
    assert.deepEqual(uidsOf(warnings), expected((p) => p.phase === 'now' && p.type === 'Warning'), 'the Warnings of the namespace within the range, once each');
    // What a stored entry looks like: body in _msg, the event's time in _time, the Loki-like stream.
    const sample = byDeployment.find((e) => e['severity_text'] === 'Warning')!;
    console.log(`# VictoriaLogs entry: ${JSON.stringify(sample)}`);
    assert.match(sample['_stream'] ?? '', /k8s\.deployment\.name="web"/);
    assert.doesNotMatch(sample['_stream'] ?? '', /uid|k8s\.pod\.name|service\.instance\.id/, 'no pod-level or per-event values in the stream fields');
    assert.equal(sample['k8s.event.reason'], 'Unhealthy');
    assert.equal(sample['service.name'], 'web');
    // The README's LogsQL examples are valid queries (their example names match nothing here).
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const examples = (/```logsql\n([\s\S]*?)```/.exec(readme)?.[1] ?? '').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.ok(examples.length >= 3, 'README.md has LogsQL examples');
    for (const query of examples) await queryLogs(base, query);
    console.log(`# queries: deployment ${byDeployment.length}, service ${byService.length}, warnings in range ${warnings.length} (of ${posted.size} posted, 4 outside the range)`);
  });

  /** Posts events about both Deployments every 50 ms until `until` resolves; returns how many. */
  const keepPosting = async (phase: string, during: () => Promise<void>): Promise<number> => {
    let stop = false;
    let n = 0;
    const producer = (async () => {
      while (!stop) {
        await post(n % 2 === 0 ? 'web' : 'api', phase, n % 5 === 0 ? 'Warning' : 'Normal');
        n += 1;
        await sleep(50);
      }
    })();
    try {
      await during();
    } finally {
      stop = true;
      await producer;
    }
    return n;
  };

  const report = async (phase: string) => {
    const phaseUids = expected((p) => p.phase === phase);
    await waitFor(
      async () => {
        const counts = await stored();
        return phaseUids.every((uid) => counts.has(uid));
      },
      `every ${phase} event in VictoriaLogs`,
      120_000,
      () => `${router?.stderr.slice(-1000)}\n${collector?.output.slice(-2000)}`,
    );
    await sleep(2000); // a duplicate would arrive by now
    const counts = await stored();
    const lost = phaseUids.filter((uid) => !counts.has(uid)).length;
    const duplicated = phaseUids.reduce((sum, uid) => sum + Math.max(0, (counts.get(uid) ?? 0) - 1), 0);
    const inStore = phaseUids.reduce((sum, uid) => sum + (counts.get(uid) ?? 0), 0);
    console.log(`# ${phase}: posted ${phaseUids.length}, in store ${inStore}, lost ${lost}, duplicated ${duplicated}`);
    return { lost, duplicated };
  };

  it('loses nothing while VictoriaLogs restarts (the persistent queue holds what the Collector acknowledged)', async () => {
    const retriesBefore = (collector!.output.match(/Exporting failed\. Will retry/g) ?? []).length;
    const n = await keepPosting('store-restart', async () => {
      await sleep(1000);
      await store!.stop('SIGTERM');
      await sleep(3000); // events keep coming; the Collector queues them on disk and retries
      store = await startVictoriaLogs(dir, ports.store);
      await sleep(1000);
    });
    assert.ok(n > 20, `${n} events posted during the restart`);
    const { lost } = await report('store-restart');
    assert.equal(lost, 0);
    // The scenario really happened: the Collector held data and retried while the store was down.
    const retries = (collector!.output.match(/Exporting failed\. Will retry/g) ?? []).length - retriesBefore;
    console.log(`# store-restart: the Collector retried ${retries} exports while VictoriaLogs was down`);
    assert.ok(retries > 0, 'the Collector retried while the store was down');
  });

  it('loses nothing while the Collector restarts (eventrouter retries; the queue survives on disk)', async () => {
    const n = await keepPosting('collector-restart', async () => {
      await sleep(1000);
      // Stop the store first so that the Collector's queue holds data when it goes down.
      await store!.stop('SIGTERM');
      await sleep(1500);
      await collector!.stop('SIGTERM');
      await sleep(2000); // eventrouter's exports are refused meanwhile: it backs off and keeps them
      await startCollector();
      store = await startVictoriaLogs(dir, ports.store);
      await sleep(1000);
    });
    assert.ok(n > 20, `${n} events posted during the restart`);
    const { lost } = await report('collector-restart');
    assert.equal(lost, 0);
    // The scenario really happened: the restarted Collector found batches on disk that the stopped
    // one had accepted but not delivered (its persistent queue's start-up lines say how many).
    const loaded = /Loaded queue metadata.*?"readIndex": (\d+), "writeIndex": (\d+)/.exec(collector!.output);
    const redispatched = Number(/Moved items for dispatching back to queue.*?"numberOfItems": (\d+)/.exec(collector!.output)?.[1] ?? 0);
    const onDisk = (loaded ? Number(loaded[2]) - Number(loaded[1]) : 0) + redispatched;
    console.log(`# collector-restart: ${onDisk} batches were on disk across the Collector restart (queued ${loaded ? Number(loaded[2]) - Number(loaded[1]) : 0}, in flight ${redispatched})`);
    assert.ok(onDisk > 0, `the persistent queue held data across the restart:\n${collector!.output.slice(0, 3000)}`);
    assert.equal((await router!.stop('SIGTERM')).code, 0, router!.stderr.slice(-2000));
  });
});
