import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../../src/model/event-record.ts';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import type { EncodedLogRecord } from '../../../src/sinks/otlp/log-record-encoder.ts';
import { RetrySender } from '../../../src/sinks/retry-sender.ts';
import { SinkQueue } from '../../../src/sinks/sink-queue.ts';
import type { SinkItem } from '../../../src/sinks/sink.ts';
import { sleep } from '../../../src/util/sleep.ts';
import { Metrics } from '../../../src/telemetry/metrics.ts';
import { capturingLogger } from '../../support/capturing-logger.ts';
import { podEvent } from '../../support/harness.ts';
import { byLabel } from '../../support/metric-samples.ts';
import { OtlpReceiver, waitFor } from '../../support/otlp-receiver.ts';
import { otlpSink } from '../../support/sinks.ts';

const record = (message: string): EventRecord => mapEvent(normalizeEvent(podEvent({ message })), 'ADDED');

/** A sender that keeps what it was handed and answers at once. */
class KeepingSender {
  readonly batches: SinkItem[][] = [];
  async send(items: readonly SinkItem[]): Promise<boolean> {
    this.batches.push([...items]);
    return true;
  }
}

describe('OTLP sink queue (records encoded as they enter)', () => {
  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    it(`${protocol}: queues each record's encoded bytes, counts them, and caps batches by them`, async () => {
      const sink = otlpSink({ endpoint: 'http://127.0.0.1:1', protocol });
      const sender = new KeepingSender();
      const sizes = ['a', 'b', 'c', 'd', 'e'].map((m) => (sink.encode as NonNullable<typeof sink.encode>)(record(m.repeat(300))).size);
      const size = sizes[0] as number;
      assert.ok(sizes.every((s) => s === size), 'records of one shape encode to one size');
      const queue = new SinkQueue({ sink, sender, queueSize: 100, maxBatchSize: 100, maxBatchBytes: Math.floor(size * 2.5), batchTimeoutMs: 5, metrics: new Metrics() });
      let acked = 0;
      for (const m of ['a', 'b', 'c', 'd', 'e']) queue.push({ record: record(m.repeat(300)), ack: { done: () => (acked += 1) }, bytes: 999_999 });
      assert.equal(queue.bytes, 5 * size, 'the queue counts the encoded size, not the in-memory estimate it was given');
      queue.start();
      await waitFor(() => acked === 5, 'all acknowledged');
      await queue.stop();
      assert.deepEqual(sender.batches.map((b) => b.length), [2, 2, 1], 'batches capped by encoded bytes');
      const item = sender.batches[0]?.[0] as EncodedLogRecord;
      assert.ok(item.record instanceof Uint8Array && !('event' in item), 'the queue holds bytes, not the record');
    });
  }

  it('http/json: queues the records themselves (the SDK serialiser needs them)', () => {
    const sink = otlpSink({ endpoint: 'http://127.0.0.1:1', protocol: 'http/json' });
    assert.equal(sink.encode, undefined);
  });

  it('counts a record it cannot encode as failed, acknowledges it, and delivers the others', async () => {
    const receiver = new OtlpReceiver();
    await receiver.start();
    try {
      const sink = otlpSink({ endpoint: receiver.url });
      await sink.start();
      const metrics = new Metrics();
      const { logger, entries } = capturingLogger();
      const sender = new RetrySender({ sink, initialBackoffMs: 5, maxBackoffMs: 10, sleep, metrics, logger });
      const queue = new SinkQueue({ sink, sender, queueSize: 100, maxBatchSize: 100, batchTimeoutMs: 5, metrics, logger });
      queue.start();
      let acked = 0;
      const broken = record('broken') as unknown as { hrTime: unknown };
      broken.hrTime = undefined;
      queue.push({ record: record('before'), ack: { done: () => (acked += 1) } });
      queue.push({ record: broken as unknown as EventRecord, ack: { done: () => (acked += 1) } });
      queue.push({ record: record('after'), ack: { done: () => (acked += 1) } });
      await waitFor(() => acked === 3 && receiver.logs.length === 2, 'all acknowledged, two delivered');
      assert.deepEqual(receiver.logs.map((l) => l.body), ['before', 'after']);
      const outcomes = await byLabel(metrics, 'eventrouter_records_total', 'outcome', { sink: sink.name });
      assert.equal(outcomes['failed'], 1);
      assert.equal(outcomes['exported'], 2);
      assert.ok(entries.some((e) => e['msg'] === 'sink could not encode a record; it is dropped'));
      await queue.stop();
      await sink.shutdown();
    } finally {
      await receiver.stop();
    }
  });
});
