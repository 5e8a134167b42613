/**
 * Replay is the service's one assembly (App → Router → Pipeline → sinks) with a dump source: it
 * routes exactly as `run` does, and its outcome is read from the sinks' own results.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { type ReplayOutcome, replayDump, replaySucceeded } from '../../src/app/replay.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import type { Config } from '../../src/config/schema.ts';
import { Router } from '../../src/router/router.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import type { SinkResult } from '../../src/sinks/sink-result.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { dumpSources } from '../../src/source/dump-sources.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, settled, startApp, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';

/** A config whose one sink `out` is what the tests inject. */
const config = (): Config => testConfig({ sinks: [{ name: 'out', type: 'stdout', batchTimeout: '20ms' }], shutdownTimeout: '5s' });

function replay(objects: readonly unknown[], sinks: InMemorySink[], options: { config?: Config; metrics?: Metrics } = {}): Promise<ReplayOutcome> {
  return replayDump({ config: options.config ?? config(), objects, sinks, logger: silentLogger(), ...(options.metrics ? { metrics: options.metrics } : {}) });
}

/** Events with distinct names, as a `kubectl get events -o json` dump holds them. */
function dump(count: number, overrides: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const event = podEvent(overrides);
    (event['metadata'] as Record<string, unknown>)['uid'] = `uid-${i}-${String(event['message'])}`;
    return event;
  });
}

const REFUSED = { ok: false as const, error: new ExportError('E_EXPORT_REFUSED', 'HTTP 400: refused') };

describe('replay: its outcome is its sinks\' results', () => {
  it('succeeds when every event read reached its sink', async () => {
    const sink = new InMemorySink('out');
    const outcome = await replay(dump(5), [sink]);
    assert.equal(sink.records.length, 5);
    assert.deepEqual(outcome.sinks, [{ sink: 'out', delivered: 5, failed: 0, dropped: 0, pending: 0, filtered: 0 }]);
    assert.equal(outcome.accepted, 5);
    assert.equal(replaySucceeded(outcome), true);
  });

  it('fails when a sink refuses a batch, and says how many records it refused', async () => {
    const sink = new InMemorySink('out');
    sink.failNext(REFUSED);
    const outcome = await replay(dump(5), [sink]);
    assert.deepEqual(outcome.sinks, [{ sink: 'out', delivered: 0, failed: 5, dropped: 0, pending: 0, filtered: 0 }]);
    assert.equal(replaySucceeded(outcome), false);
  });

  it('fails when an object of the dump is malformed, though every event was delivered', async () => {
    const sink = new InMemorySink('out');
    const outcome = await replay([...dump(3), { kind: 'Event', metadata: 'not an object' }], [sink]);
    assert.equal(outcome.malformed, 1);
    assert.deepEqual(outcome.sinks, [{ sink: 'out', delivered: 3, failed: 0, dropped: 0, pending: 0, filtered: 0 }]);
    assert.equal(replaySucceeded(outcome), false);
  });

  it('judges each replay by its own sinks, not by the process\'s telemetry counters (which a second replay shares)', async () => {
    const metrics = new Metrics();
    const refusing = new InMemorySink('out');
    refusing.failNext(REFUSED);
    assert.equal(replaySucceeded(await replay(dump(4), [refusing], { metrics })), false);
    // The same sink name, the same counters: only this run's results can tell that it delivered everything.
    const delivering = new InMemorySink('out');
    const second = await replay(dump(4), [delivering], { metrics });
    assert.deepEqual(second.sinks, [{ sink: 'out', delivered: 4, failed: 0, dropped: 0, pending: 0, filtered: 0 }]);
    assert.equal(replaySucceeded(second), true);
  });

  it('rejects when a sink cannot start, after shutting down the sinks that did', async () => {
    const started = new InMemorySink('second');
    let running = false;
    started.start = async () => void (running = true);
    started.shutdown = async () => void (running = false);
    const broken = new InMemorySink('out');
    broken.start = async () => {
      throw new Error('cannot open its output');
    };
    await assert.rejects(replay(dump(2), [broken, started]), /cannot open its output/);
    assert.equal(running, false, 'the sink that started was shut down');
    assert.equal(started.records.length, 0);
  });

  it('counts what a required sink still holds at the deadline as pending, and fails', async () => {
    const sink = new InMemorySink('out');
    // Retried for as long as it takes (a required sink): still pending when the drain ends.
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_STATUS', 'HTTP 503') }, 1_000_000);
    const outcome = await replay(dump(3), [sink], { config: testConfig({ sinks: [{ name: 'out', type: 'stdout', batchTimeout: '20ms', initialBackoff: '10ms', maxBackoff: '20ms' }], shutdownTimeout: '200ms' }) });
    assert.equal(outcome.drained, false);
    assert.deepEqual(outcome.sinks, [{ sink: 'out', delivered: 0, failed: 0, dropped: 0, pending: 3, filtered: 0 }]);
    assert.equal(replaySucceeded(outcome), false);
  });
});

describe('replay and run: one assembly', () => {
  let api: FakeApiServer | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(2000);
    app = undefined;
    await api?.stop();
    api = undefined;
  });

  /** What each sink got: the events' reasons and uids (a LIST returns them by name, a dump in file order). */
  const received = (sinks: InMemorySink[]) => sinks.map((sink) => sink.records.map((r) => `${r.event.reason}/${r.event.uid}`).sort());

  it('drops and routes a dump exactly as `run` does the same events from a cluster', async () => {
    // A top-level drop rule, and a second sink that takes only Warnings: both decided once, in the shared pipeline.
    const routed = testConfig({
      drop: [{ reason: 'Scheduled' }],
      sinks: [
        { name: 'all', type: 'stdout', batchTimeout: '20ms' },
        { name: 'warnings', type: 'stdout', batchTimeout: '20ms', match: [{ type: 'Warning' }] },
      ],
    });
    api = new FakeApiServer();
    await api.start();
    const shapes = [{ reason: 'Pulled' }, { reason: 'BackOff', type: 'Warning' }, { reason: 'Scheduled' }, { reason: 'FailedMount', type: 'Warning' }];
    const objects = Array.from({ length: 12 }, (_, i) => api!.create(EVENTS, podEvent(shapes[i % shapes.length])));

    const runSinks = [new InMemorySink('all'), new InMemorySink('warnings')];
    app = await startApp({ apiUrl: api.url, config: routed, sinks: runSinks });
    await settled(app, api);
    await app.stop(2000);
    const runResults: SinkResult[] = app.sinkResults();
    app = undefined;

    const replaySinks = [new InMemorySink('all'), new InMemorySink('warnings')];
    const outcome = await replay(objects, replaySinks, { config: routed });

    assert.deepEqual(received(replaySinks), received(runSinks));
    assert.deepEqual(outcome.sinks, runResults);
    assert.deepEqual(runResults, [
      { sink: 'all', delivered: 9, failed: 0, dropped: 0, pending: 0, filtered: 0 },
      { sink: 'warnings', delivered: 6, failed: 0, dropped: 0, pending: 0, filtered: 3 },
    ]);
    assert.equal(replaySucceeded(outcome), true);
  });

  it('a router whose sources do not resume neither reads the checkpoint store nor needs a cluster', async () => {
    let loads = 0;
    const store: CheckpointStore = {
      kind: 'refusing',
      load: async (): Promise<Checkpoint | undefined> => {
        loads += 1;
        throw new Error('no store here');
      },
      save: async () => {},
    };
    const metrics = new Metrics();
    const logger = silentLogger();
    const sources = dumpSources({ objects: dump(3), pageSize: 2, metrics, logger });
    const sink = new InMemorySink('out');
    const router = new Router({ config: config(), sources, sinks: [{ sink }], checkpointStore: store, metrics, logger });
    await router.start();
    await router.done;
    await waitFor(() => sink.records.length === 3, 'the dump delivered');
    await router.stop(2000);
    assert.equal(loads, 0);
    assert.equal(sources.source?.synced, true, 'the dump source says it read everything');
  });
});
