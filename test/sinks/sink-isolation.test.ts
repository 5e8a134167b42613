import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent, startApp, testConfig } from '../support/harness.ts';
import { metricSum, samples } from '../support/metric-samples.ts';
import { OtlpReceiver, waitFor, type ReceivedLog } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';
/** Events of the outage: ten times the down sink's queue. */
const PRODUCED = 200;
const DOWN_QUEUE = 20;
/** A bound for a hang on a loaded machine; the conditions themselves are met in a few seconds. */
const BOUND_MS = 60_000;

const messages = (logs: ReceivedLog[]) => logs.map((l) => String(l.body));
const duplicates = (logs: ReceivedLog[]) => {
  const keys = logs.map((l) => `${l.attributes['k8s.event.uid']}/${l.attributes['k8s.event.count']}`);
  return keys.filter((key, i) => keys.indexOf(key) !== i);
};

/**
 * The three-sink example (examples/three-sinks.yaml) with real receivers: `loki` (the first sink,
 * required by default), `elastic` (the one that goes down) and `archive`. Fast retries, so that
 * the down sink keeps failing while the test runs.
 */
function threeSinks(receivers: { loki: OtlpReceiver; elastic: OtlpReceiver; archive: OtlpReceiver }, elastic: Record<string, unknown> = {}) {
  const common = { type: 'otlp', batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '100ms', maxBatchSize: 50 };
  return testConfig({
    sinks: [
      { name: 'loki', endpoint: receivers.loki.url, ...common },
      // Batches of 5: the batch in flight (never dropped) stays a small part of the queue.
      { name: 'elastic', endpoint: receivers.elastic.url, ...common, queueSize: DOWN_QUEUE, maxBatchSize: 5, ...elastic },
      { name: 'archive', endpoint: receivers.archive.url, ...common },
    ],
  });
}

describe('sink isolation (one of three sinks down)', () => {
  let api: FakeApiServer | undefined;
  let app: App | undefined;
  const receivers: OtlpReceiver[] = [];
  afterEach(async () => {
    await app?.stop(500);
    app = undefined;
    await api?.stop();
    api = undefined;
    for (const r of receivers.splice(0)) await r.stop();
  });

  async function start(elastic: Record<string, unknown> = {}) {
    api = new FakeApiServer();
    await api.start();
    const make = async () => {
      const r = new OtlpReceiver();
      await r.start();
      receivers.push(r);
      return r;
    };
    const sinks = { loki: await make(), elastic: await make(), archive: await make() };
    sinks.elastic.always = { kind: 'status', status: 503, retryAfterSeconds: 0 };
    app = await startApp({ apiUrl: api.url, config: threeSinks(sinks, elastic) });
    await waitFor(() => app!.router.synced && api!.watcherCount > 0, 'a watch');
    return sinks;
  }

  it('a best-effort sink answering 503 throughout: the others get every event, the checkpoint moves, its drops are counted, oldest first', async (t) => {
    const { loki, elastic, archive } = await start();
    const produced: string[] = [];
    for (let i = 0; i < PRODUCED; i++) {
      const event = podEvent({ message: `outage ${i}` });
      produced.push(String(event['message']));
      api!.create(EVENTS, event);
    }
    const queue = app!.router.sinkQueues[1]!;
    await waitFor(
      () => loki.logs.length === PRODUCED && archive.logs.length === PRODUCED && app!.router.checkpoint().scopes[''] === api!.resourceVersion,
      `the healthy sinks to receive all ${PRODUCED} events and the checkpoint to reach the last (loki ${loki.logs.length}, archive ${archive.logs.length}, elastic queue ${queue.depth})`,
      BOUND_MS,
    );
    const dropped = await metricSum(app!.metrics, 'eventrouter_records_total', { sink: 'elastic', outcome: 'dropped' });
    t.diagnostic(`elastic down (503): ${PRODUCED} events; loki ${loki.logs.length}, archive ${archive.logs.length}; elastic queue ${queue.depth}, dropped ${dropped}, ${elastic.attempts} refused requests`);
    assert.equal(elastic.logs.length, 0);
    assert.equal(queue.depth, DOWN_QUEUE, 'the down sink holds what its queue bounds');
    assert.equal(dropped, PRODUCED - DOWN_QUEUE, 'every record it could not hold is counted as dropped');
    assert.equal(await metricSum(app!.metrics, 'eventrouter_records_total', { sink: 'loki', outcome: 'dropped' }), 0, 'a series at 0 for the healthy sinks');
    const health = queue.health();
    assert.equal(health.required, false);
    assert.ok(health.consecutiveFailures > 0 && health.lastSuccessAt === undefined && health.oldestQueuedAt !== undefined, JSON.stringify(health));
    assert.equal(app!.router.sinkQueues[0]!.health().consecutiveFailures, 0);
    assert.ok((await samples(app!.metrics, 'eventrouter_sink_consecutive_failures', { sink: 'elastic' }))[0]!.value > 0);
    assert.ok((await samples(app!.metrics, 'eventrouter_sink_oldest_queued_age_seconds', { sink: 'elastic' }))[0]!.value >= 0);
    assert.ok((await samples(app!.metrics, 'eventrouter_sink_last_success_timestamp_seconds', { sink: 'loki' }))[0]!.value * 1000 > Date.now() - BOUND_MS);

    elastic.always = undefined;
    await waitFor(() => queue.depth === 0, 'the recovered sink to send what it kept', BOUND_MS);
    // The queue dropped its oldest: what it kept is the batch in flight (5 at most), then the newest.
    const kept = messages(elastic.logs);
    assert.equal(kept.length, DOWN_QUEUE);
    assert.deepEqual(kept.slice(-15), produced.slice(-15), 'the newest were kept, in order');
    assert.deepEqual(duplicates(elastic.logs), []);
    assert.deepEqual(duplicates(loki.logs), []);
  });

  it('a required sink answering 503: the others get everything up to the back-pressure point, and nothing is lost after it recovers', async (t) => {
    const { loki, elastic, archive } = await start({ delivery: 'required' });
    for (let i = 0; i < PRODUCED; i++) api!.create(EVENTS, podEvent({ message: `outage ${i}` }));
    const queue = app!.router.sinkQueues[1]!;
    await waitFor(
      () => queue.depth === DOWN_QUEUE && loki.logs.length >= DOWN_QUEUE && archive.logs.length >= DOWN_QUEUE,
      'the down sink full and the others up to it',
      BOUND_MS,
    );
    t.diagnostic(`elastic (required) down: loki ${loki.logs.length}, archive ${archive.logs.length}, elastic queue ${queue.depth}`);
    assert.equal(queue.health().required, true);
    assert.ok(loki.logs.length < PRODUCED, 'the source waits for the required sink');
    assert.notEqual(app!.router.checkpoint().scopes[''], api!.resourceVersion, 'the checkpoint waits for the required sink');
    assert.equal(await metricSum(app!.metrics, 'eventrouter_records_total', { outcome: 'dropped' }), 0, 'nothing dropped');

    elastic.always = undefined;
    await waitFor(
      () =>
        [loki, elastic, archive].every((r) => r.logs.length >= PRODUCED) &&
        app!.router.checkpoint().scopes[''] === api!.resourceVersion &&
        app!.router.sinkQueues.every((q) => q.depth === 0),
      'every sink to receive every event after the recovery',
      BOUND_MS,
    );
    for (const r of [loki, elastic, archive]) {
      assert.equal(r.logs.length, PRODUCED);
      assert.deepEqual(duplicates(r.logs), []);
    }
    assert.equal(await metricSum(app!.metrics, 'eventrouter_records_total', { outcome: 'dropped' }), 0);
  });
});
