import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { RetrySender } from '../../src/sinks/retry-sender.ts';
import { SinkQueue } from '../../src/sinks/sink-queue.ts';
import { sleep } from '../../src/source/backoff.ts';
import type { ExportOutcome, Sink } from '../../src/sinks/sink.ts';
import { StdoutSink } from '../../src/sinks/stdout/stdout-sink.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { deeplyNested } from '../support/hostile-input.ts';
import { waitFor } from '../support/otlp-receiver.ts';

function record(raw: Record<string, unknown>): EventRecord {
  const r = mapEvent(normalizeEvent(raw), 'ADDED');
  r.raw = raw;
  return r;
}

async function outcomes(metrics: Metrics, sink: string): Promise<Record<string, number>> {
  const values = (await metrics.records.get()).values.filter((v) => v.labels['sink'] === sink);
  return Object.fromEntries(values.map((v) => [String(v.labels['outcome']), v.value]));
}

function queueFor(sink: Sink, metrics: Metrics): SinkQueue {
  const sender = new RetrySender({ sink, initialBackoffMs: 5, maxBackoffMs: 10, sleep, metrics, logger: silentLogger() });
  return new SinkQueue({ sink, sender, queueSize: 10_000, maxBatchSize: 1000, batchTimeoutMs: 5, metrics });
}

describe('sink queue with records or sinks that fail hard', () => {
  it('fails only the record the classic format cannot write (nested 100,000 deep); the rest of its batch goes out', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const metrics = new Metrics();
    const queue = queueFor(new StdoutSink({ name: 'console', format: 'classic', stream: out }), metrics);
    queue.start();
    let acked = 0;
    const deep = podEvent({ message: 'deep' });
    (deep as Record<string, unknown>)['extra'] = deeplyNested(100_000);
    for (const raw of [podEvent({ message: 'before' }), deep, podEvent({ message: 'after' })]) {
      queue.push({ record: record(raw), done: () => (acked += 1) });
    }
    await waitFor(() => acked === 3, 'the whole batch acknowledged');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { event: { message: string } });
    assert.deepEqual(lines.map((line) => line.event.message), ['before', 'after']);
    assert.deepEqual(await outcomes(metrics, 'console'), { exported: 2, failed: 1 });
    // The next version of the deep event: its old_event is not the object that could not be written.
    const update = record({ ...deep, extra: 'flat now', message: 'deep, updated' });
    update.verb = 'UPDATED';
    queue.push({ record: update, done: () => (acked += 1) });
    queue.push({ record: record(podEvent({ message: 'later' })), done: () => (acked += 1) });
    await waitFor(() => acked === 5, 'the loop goes on');
    assert.match(text, /"later"/);
    assert.match(text, /"deep, updated"/);
    assert.deepEqual(await outcomes(metrics, 'console'), { exported: 4, failed: 1 });
    await queue.stop();
  });

  for (const how of ['throws synchronously', 'rejects'] as const) {
    it(`counts a batch whose sink ${how} as failed and keeps exporting`, async () => {
      const metrics = new Metrics();
      let calls = 0;
      const exported: string[] = [];
      const sink: Sink = {
        name: 'fragile',
        start: async () => {},
        shutdown: async () => {},
        export(records): Promise<ExportOutcome> {
          calls += 1;
          if (calls === 1) {
            if (how === 'rejects') return Promise.reject(new RangeError('Maximum call stack size exceeded'));
            throw new RangeError('Maximum call stack size exceeded');
          }
          exported.push(...records.map((r) => r.body as string));
          return Promise.resolve({ ok: true });
        },
      };
      const queue = queueFor(sink, metrics);
      queue.start();
      let acked = 0;
      queue.push({ record: record(podEvent({ message: 'first' })), done: () => (acked += 1) });
      await waitFor(() => acked === 1, 'the failed batch acknowledged');
      queue.push({ record: record(podEvent({ message: 'second' })), done: () => (acked += 1) });
      await waitFor(() => acked === 2, 'the next batch');
      assert.deepEqual(exported, ['second']);
      assert.deepEqual(await outcomes(metrics, 'fragile'), { exported: 1, failed: 1 });
      await queue.stop();
    });
  }
});
