import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../src/checkpoint/ack-tracker.ts';
import type { Enricher } from '../../src/enrich/enricher.ts';
import type { WorkloadMetadata } from '../../src/enrich/service-attributes.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';

function items(count: number, first = 1000): SourceItem[] {
  return Array.from({ length: count }, (_, i) => {
    const raw = podEvent({ metadata: { name: `e-${first + i}`, namespace: 'default', uid: `uid-${first + i}`, resourceVersion: String(first + i) } });
    return { kind: 'event', notification: 'ADDED', event: normalizeEvent(raw), raw, resourceVersion: String(first + i) };
  });
}

function pipeline(enricher: Enricher, metrics = new Metrics()) {
  const sink = new InMemorySink();
  const p = new Pipeline({
    config: testConfig({ enrich: { owners: true } }),
    sinks: [{ sink }],
    enricher,
    metrics,
    logger: silentLogger(),
    afterAck: async () => {},
  });
  return { p, sink, metrics };
}

async function waitFor(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The lifecycle of an enricher that holds nothing. */
const idle = { start: () => Promise.resolve(), shutdown: () => Promise.resolve() };

describe('pipeline', () => {
  it('runs the owner lookups of several records at once and still delivers them in stream order', async () => {
    const pending: Array<() => void> = [];
    const enricher: Enricher = {
      ...idle,
      enrich: () => new Promise<WorkloadMetadata | undefined>((resolve) => pending.push(() => resolve(undefined))),
    };
    const { p, sink } = pipeline(enricher);
    await p.start();
    const tracker = new AckTracker();
    const consumed = p.consume(tracker, items(10));
    // One lookup at a time would never get here: the second waits for the first.
    await waitFor(() => pending.length === 10, 'ten lookups in flight at once');
    for (const resolve of [...pending].reverse()) resolve();
    await consumed;
    assert.equal(await p.drain(30_000), true);
    assert.deepEqual(
      sink.records.map((r) => r.event.name),
      Array.from({ length: 10 }, (_, i) => `e-${1000 + i}`),
    );
    await waitFor(() => tracker.committed === '1009', 'the cursor past the last record');
    await p.shutdown();
  });

  it('stops asking an enricher that keeps failing and exports without owner attributes meanwhile', async () => {
    let calls = 0;
    const enricher: Enricher = {
      ...idle,
      enrich: async () => {
        calls += 1;
        throw new Error('the API server is down');
      },
    };
    const { p, sink, metrics } = pipeline(enricher);
    await p.start();
    await p.consume(new AckTracker(), items(300));
    assert.equal(await p.drain(30_000), true);
    assert.equal(sink.records.length, 300, 'every record is exported');
    // At most a window of lookups (64) is under way when the 5th failure in a row opens the circuit.
    assert.ok(calls <= 64 + 5, `${calls} lookups`);
    assert.equal(await metricSum(metrics, 'eventrouter_enrich_lookups_total', { outcome: 'skipped' }), 300 - calls);
    assert.ok(sink.records.every((r: EventRecord) => r.resource['k8s.deployment.name'] === undefined));
    await p.shutdown();
  });
});

describe('pipeline without waiting', () => {
  it('passes a delivery that fits the budget and the queues through every stage synchronously', async () => {
    const sink = new InMemorySink();
    const p = new Pipeline({ config: testConfig(), sinks: [{ sink }], metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
    await p.start();
    const tracker = new AckTracker();
    assert.equal(p.consume(tracker, items(50)), undefined, 'no promise when nothing has to wait');
    // Queued before consume returned: no record waited on a promise on its way.
    assert.equal(p.lanes[0]?.queue.depth, 50);
    assert.equal(await p.drain(30_000), true);
    assert.deepEqual(
      sink.records.map((r) => r.event.name),
      Array.from({ length: 50 }, (_, i) => `e-${1000 + i}`),
    );
    await waitFor(() => tracker.committed === '1049', 'the cursor past the last record');
    await p.shutdown();
  });

  it('passes records whose owner chain is cached without waiting on the enricher', async () => {
    let lookups = 0;
    const enricher: Enricher = {
      ...idle,
      enrichCached: (record) => {
        record.resource['k8s.deployment.name'] = 'cached';
        return { metadata: { labels: { 'app.kubernetes.io/name': 'from-cache' } } };
      },
      enrich: async () => {
        lookups += 1;
        return undefined;
      },
    };
    const { p, sink } = pipeline(enricher);
    await p.start();
    const tracker = new AckTracker();
    assert.equal(p.consume(tracker, items(20)), undefined);
    assert.equal(p.lanes[0]?.queue.depth, 20);
    assert.equal(await p.drain(30_000), true);
    assert.equal(lookups, 0);
    assert.ok(sink.records.every((r) => r.resource['k8s.deployment.name'] === 'cached' && r.resource['service.name'] === 'from-cache'));
    await p.shutdown();
  });

  it('waits, in stream order, from the first record whose lookup is not cached', async () => {
    const pending: Array<() => void> = [];
    const enricher: Enricher = {
      ...idle,
      // Records e-1000..e-1002 are cached, e-1003 is not, the rest are.
      enrichCached: (record) => (record.event.name === 'e-1003' ? undefined : { metadata: undefined }),
      enrich: () => new Promise<WorkloadMetadata | undefined>((resolve) => pending.push(() => resolve(undefined))),
    };
    const { p, sink } = pipeline(enricher);
    await p.start();
    const tracker = new AckTracker();
    const consumed = p.consume(tracker, items(8));
    assert.ok(consumed instanceof Promise, 'a lookup to wait for makes the delivery wait');
    assert.equal(p.lanes[0]?.queue.depth, 3, 'the records before it went through at once');
    await waitFor(() => pending.length === 1, 'the lookup');
    assert.equal(p.lanes[0]?.queue.depth, 3, 'no record passes the one waiting on its lookup');
    pending[0]?.();
    await consumed;
    assert.equal(await p.drain(30_000), true);
    assert.deepEqual(
      sink.records.map((r) => r.event.name),
      Array.from({ length: 8 }, (_, i) => `e-${1000 + i}`),
    );
    await waitFor(() => tracker.committed === '1007', 'the cursor past the last record');
    await p.shutdown();
  });
});

describe('pipeline shutdown', () => {
  it('returns when a sink never finishes shutting down', async () => {
    const sink = new InMemorySink();
    sink.shutdown = () => new Promise<void>(() => {});
    const p = new Pipeline({ config: testConfig(), sinks: [{ sink }], metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
    await p.start();
    await p.shutdown(50);
  });
  it('counts the records the global drop rules remove, from 0 at start-up', async () => {
    const metrics = new Metrics();
    const batch = items(5);
    // Three of the five about another object: the drop rule names it.
    for (const item of batch.slice(0, 3)) if (item.kind === 'event') item.event.regarding.name = 'noisy-pod';
    assert.match(await metrics.text(), /^eventrouter_records_dropped_by_rule_total 0$/m, 'the series exists before the first drop');
    const sink = new InMemorySink();
    const p = new Pipeline({
      config: testConfig({ drop: [{ name: 'noisy-*' }] }),
      sinks: [{ sink }],
      metrics,
      logger: silentLogger(),
      afterAck: async () => {},
    });
    await p.start();
    const tracker = new AckTracker();
    await p.consume(tracker, batch);
    assert.equal(await p.drain(30_000), true);
    await p.shutdown();
    assert.deepEqual(sink.records.map((r) => r.event.name), ['e-1003', 'e-1004']);
    assert.equal(await metricSum(metrics, 'eventrouter_records_dropped_by_rule_total'), 3);
    assert.equal(metrics.records.value({ outcome: 'filtered' }), 0, 'not a sink\'s own filtering');
  });
});
