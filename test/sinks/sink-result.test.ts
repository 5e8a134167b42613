import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { SinkChain } from '../../src/sinks/sink-chain.ts';
import { type SinkResult, SinkTally, allDelivered } from '../../src/sinks/sink-result.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';

const record = () => mapEvent(normalizeEvent(podEvent()), 'ADDED');

function result(overrides: Partial<SinkResult>): SinkResult {
  return { sink: 's', delivered: 0, failed: 0, dropped: 0, pending: 0, filtered: 0, ...overrides };
}

describe('sink results', () => {
  it('a tally\'s result is its counts and what the queue still holds', () => {
    const tally = new SinkTally();
    tally.delivered = 4;
    tally.failed = 1;
    tally.dropped = 2;
    tally.filtered = 3;
    assert.deepEqual(tally.result('out', 5), { sink: 'out', delivered: 4, failed: 1, dropped: 2, pending: 5, filtered: 3 });
  });

  it('a chain counts what its queue and retry sender did: delivered, refused, too large on its own, dropped past maxElapsedTime', async () => {
    const sink = new InMemorySink('counted');
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_REFUSED', 'HTTP 400') });
    const chain = new SinkChain({
      sink,
      // One record per batch, so that each failure below meets exactly one record.
      config: testConfig({ sinks: [{ name: 'counted', type: 'stdout', maxBatchSize: 1, batchTimeout: '1ms', initialBackoff: '1ms', maxBackoff: '1ms', maxElapsedTime: '1ms' }] }).sinks?.[0],
      delivery: 'best-effort',
      metrics: new Metrics(),
      logger: silentLogger(),
      afterAck: async () => {},
    });
    await chain.start();
    const push = () => chain.queue.push({ record: record(), ack: { done: () => {} } });
    push(); // refused for good
    assert.equal(await chain.queue.drain(60_000), true);
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_TOO_LARGE', 'HTTP 413') });
    push(); // too large on its own
    assert.equal(await chain.queue.drain(60_000), true);
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_STATUS', 'HTTP 503', { retryAfterMs: 60_000 }) });
    push(); // retryable, but the wait asked for is past maxElapsedTime: dropped
    assert.equal(await chain.queue.drain(60_000), true);
    push();
    push();
    assert.equal(await chain.queue.drain(60_000), true);
    await chain.stop();
    await chain.shutdownSink(1000);
    assert.deepEqual(chain.result(), { sink: 'counted', delivered: 2, failed: 2, dropped: 1, pending: 0, filtered: 0 });
    assert.equal(sink.records.length, 2);
  });

  it('is all delivered only when no sink failed, dropped or kept anything pending; filtered is not a loss', () => {
    assert.equal(allDelivered([result({ delivered: 3, filtered: 9 }), result({ sink: 't' })]), true);
    assert.equal(allDelivered([]), true);
    assert.equal(allDelivered([result({ delivered: 3 }), result({ failed: 1 })]), false);
    assert.equal(allDelivered([result({ dropped: 1 })]), false);
    assert.equal(allDelivered([result({ pending: 1 })]), false);
  });
});
