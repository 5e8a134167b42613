import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { SinkChain } from '../../src/sinks/sink-chain.ts';
import type { ExportOutcome, Sink } from '../../src/sinks/sink.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { podEvent } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const record = () => mapEvent(normalizeEvent(podEvent()), 'ADDED');

describe('sink chain', () => {
  it('starts its sink and queue as one: a queued record is exported, retried after a retryable failure, and acknowledged', async () => {
    const sink = new InMemorySink('chained');
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_WRITE', 'busy') });
    const afterAcks: number[] = [];
    const chain = new SinkChain({
      sink,
      config: undefined,
      delivery: 'required',
      metrics: new Metrics(),
      logger: silentLogger(),
      afterAck: async () => void afterAcks.push(sink.records.length),
    });
    await chain.start();
    let acked = 0;
    chain.queue.push({ record: record(), ack: { done: () => (acked += 1) } });
    assert.equal(await chain.queue.drain(60_000), true);
    assert.equal(sink.exportCalls, 2, 'one failed attempt, then the retry');
    assert.equal(sink.records.length, 1);
    assert.equal(acked, 1);
    assert.deepEqual(afterAcks, [1], 'the checkpoint write after the acknowledged batch of a required sink');
    await chain.stop();
    await chain.shutdownSink(1000);
  });

  it('leaves a sink whose shutdown hangs behind after the grace, and says so', async () => {
    const hanging: Sink = {
      name: 'hangs',
      start: async () => {},
      export: async (): Promise<ExportOutcome> => ({ ok: true }),
      shutdown: () => new Promise<void>(() => {}),
    };
    const { logger, entries } = capturingLogger();
    const chain = new SinkChain({ sink: hanging, config: undefined, delivery: 'best-effort', metrics: new Metrics(), logger, afterAck: async () => {} });
    await chain.start();
    await chain.stop();
    await chain.shutdownSink(50);
    await waitFor(() => entries.some((e) => e['msg'] === 'sink did not shut down in time; left behind' && e['sink'] === 'hangs'), 'the warning');
  });
});
