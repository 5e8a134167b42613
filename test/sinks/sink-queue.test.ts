import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { RetrySender } from '../../src/sinks/retry-sender.ts';
import { SinkQueue } from '../../src/sinks/sink-queue.ts';
import { sleep } from '../../src/util/sleep.ts';
import type { ExportOutcome, Sink } from '../../src/sinks/sink.ts';
import { StdoutSink } from '../../src/sinks/stdout/stdout-sink.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { deeplyNested } from '../support/hostile-input.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { byLabel, metricSum, samples } from '../support/metric-samples.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { waitFor } from '../support/otlp-receiver.ts';

function record(raw: Record<string, unknown>): EventRecord {
  const r = mapEvent(normalizeEvent(raw), 'ADDED');
  r.raw = raw;
  return r;
}

/** The sink's records by outcome; every outcome is there from the queue's start, at 0 until counted. */
function outcomes(metrics: Metrics, sink: string): Promise<Record<string, number>> {
  return byLabel(metrics, 'eventrouter_records_total', 'outcome', { sink });
}

function queueFor(sink: Sink, metrics: Metrics): SinkQueue {
  const sender = new RetrySender({ sink, initialBackoffMs: 5, maxBackoffMs: 10, sleep, metrics, logger: silentLogger() });
  return new SinkQueue({ sink, sender, queueSize: 10_000, maxBatchSize: 1000, batchTimeoutMs: 5, metrics });
}

/** A sender the test answers batch by batch. */
class ScriptedSender {
  readonly batches: string[][] = [];
  readonly #pending: Array<(done: boolean) => void> = [];
  send(records: readonly EventRecord[], signal: AbortSignal): Promise<boolean> {
    this.batches.push(records.map((r) => r.body));
    return new Promise((resolve) => {
      this.#pending.push(resolve);
      signal.addEventListener('abort', () => resolve(false), { once: true });
    });
  }
  get waiting(): number {
    return this.#pending.length;
  }
  /** Answers the oldest batch in flight. */
  answer(done = true): void {
    this.#pending.shift()?.(done);
  }
}

const NULL_SINK: Sink = { name: 'null', start: async () => {}, shutdown: async () => {}, export: async () => ({ ok: true }) };

function scripted(options: { queueSize?: number; maxBatchSize?: number; batchTimeoutMs?: number; afterAck?: () => Promise<void> } = {}) {
  const sender = new ScriptedSender();
  const queue = new SinkQueue({
    sink: NULL_SINK,
    sender,
    queueSize: options.queueSize ?? 100,
    maxBatchSize: options.maxBatchSize ?? 3,
    batchTimeoutMs: options.batchTimeoutMs ?? 60_000,
    metrics: new Metrics(),
    ...(options.afterAck ? { afterAck: options.afterAck } : {}),
  });
  const acked: string[] = [];
  const push = (...messages: string[]) => {
    for (const message of messages) {
      const r = record(podEvent({ message }));
      queue.push({ record: r, ack: { done: () => acked.push(r.body) } });
    }
  };
  return { queue, sender, acked, push };
}

describe('sink queue', () => {
  it('sends a full batch at once and acknowledges its records when the sender is done with it', async () => {
    const { queue, sender, acked, push } = scripted();
    queue.start();
    push('a', 'b', 'c', 'd');
    await waitFor(() => sender.waiting === 1, 'the first batch');
    assert.deepEqual(sender.batches, [['a', 'b', 'c']]);
    assert.equal(queue.depth, 4, 'in flight counts as queued');
    sender.answer();
    await waitFor(() => acked.length === 3, 'the acknowledgement');
    assert.deepEqual(acked, ['a', 'b', 'c']);
    await queue.stop(0);
  });

  it('sends a partial batch once its first record waited batchTimeout', async () => {
    const { queue, sender, push } = scripted({ batchTimeoutMs: 5 });
    queue.start();
    push('a');
    await waitFor(() => sender.waiting === 1, 'the partial batch');
    assert.deepEqual(sender.batches, [['a']]);
    await queue.stop(0);
  });

  it('makes room() wait while the queue is full and lets it go once a batch is acknowledged (nothing dropped)', async () => {
    const { queue, sender, acked, push } = scripted({ queueSize: 3, maxBatchSize: 3 });
    queue.start();
    push('a', 'b', 'c');
    assert.equal(queue.hasRoom(), false);
    let room = false;
    void queue.room().then(() => (room = true));
    await waitFor(() => sender.waiting === 1, 'the batch in flight');
    assert.equal(room, false, 'records in flight still take room');
    sender.answer();
    await waitFor(() => room, 'room after the acknowledgement');
    assert.deepEqual(acked, ['a', 'b', 'c']);
    await queue.stop(0);
  });

  it('awaits afterAck after each acknowledged batch before sending the next', async () => {
    let release!: () => void;
    let afterAcks = 0;
    const { queue, sender, push } = scripted({
      maxBatchSize: 1,
      afterAck: () => {
        afterAcks += 1;
        return new Promise((resolve) => (release = resolve));
      },
    });
    queue.start();
    push('a', 'b');
    await waitFor(() => sender.waiting === 1, 'the first batch');
    sender.answer();
    await waitFor(() => afterAcks === 1, 'afterAck');
    assert.equal(sender.batches.length, 1, 'the next batch waits for afterAck');
    release();
    await waitFor(() => sender.batches.length === 2, 'the next batch');
    await queue.stop(0);
  });

  it('drains without waiting for full batches; resolves false at the deadline or on cut, true once empty', async () => {
    const { queue, sender, push } = scripted({ maxBatchSize: 10 });
    queue.start();
    push('a');
    const cut = new AbortController();
    const draining = queue.drain(60_000, cut.signal);
    await waitFor(() => sender.waiting === 1, 'the partial batch sent at once');
    cut.abort();
    assert.equal(await draining, false, 'cut');
    assert.equal(await queue.drain(0), false, 'deadline');
    sender.answer();
    assert.equal(await queue.drain(60_000), true);
    assert.equal(queue.depth, 0);
    await queue.stop(0);
  });

  it('on stop, leaves the batch in flight unacknowledged', async () => {
    const { queue, sender, acked, push } = scripted();
    queue.start();
    push('a', 'b', 'c');
    await waitFor(() => sender.waiting === 1, 'the batch in flight');
    await queue.stop(1000);
    assert.deepEqual(acked, []);
    assert.equal(queue.depth, 3);
  });

  it('abandons a send that outlives the stop grace', async () => {
    const queue = new SinkQueue({
      sink: NULL_SINK,
      sender: { send: () => new Promise<boolean>(() => {}) },
      queueSize: 10,
      maxBatchSize: 1,
      batchTimeoutMs: 0,
      metrics: new Metrics(),
    });
    queue.start();
    queue.push({ record: record(podEvent()), ack: { done: () => assert.fail('not acknowledged') } });
    await queue.stop(10);
    assert.equal(queue.depth, 1);
  });
});

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
      queue.push({ record: record(raw), ack: { done: () => (acked += 1) } });
    }
    await waitFor(() => acked === 3, 'the whole batch acknowledged');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { event: { message: string } });
    assert.deepEqual(lines.map((line) => line.event.message), ['before', 'after']);
    assert.deepEqual(await outcomes(metrics, 'console'), { exported: 2, filtered: 0, throttled: 0, failed: 1, dropped: 0, too_large: 0 });
    // The next version of the deep event: its old_event is not the object that could not be written.
    const update = record({ ...deep, extra: 'flat now', message: 'deep, updated' });
    update.verb = 'UPDATED';
    queue.push({ record: update, ack: { done: () => (acked += 1) } });
    queue.push({ record: record(podEvent({ message: 'later' })), ack: { done: () => (acked += 1) } });
    await waitFor(() => acked === 5, 'the loop goes on');
    assert.match(text, /"later"/);
    assert.match(text, /"deep, updated"/);
    assert.deepEqual(await outcomes(metrics, 'console'), { exported: 4, filtered: 0, throttled: 0, failed: 1, dropped: 0, too_large: 0 });
    await queue.stop();
  });

  for (const how of ['throws synchronously', 'rejects'] as const) {
    it(`counts a batch whose sink ${how} as failed and keeps exporting`, async () => {
      const metrics = new Metrics();
      let calls = 0;
      const exported: string[] = [];
      const sink: Sink<EventRecord> = {
        name: 'fragile',
        start: async () => {},
        shutdown: async () => {},
        export(records): Promise<ExportOutcome<EventRecord>> {
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
      queue.push({ record: record(podEvent({ message: 'first' })), ack: { done: () => (acked += 1) } });
      await waitFor(() => acked === 1, 'the failed batch acknowledged');
      queue.push({ record: record(podEvent({ message: 'second' })), ack: { done: () => (acked += 1) } });
      await waitFor(() => acked === 2, 'the next batch');
      assert.deepEqual(exported, ['second']);
      assert.deepEqual(await outcomes(metrics, 'fragile'), { exported: 1, filtered: 0, throttled: 0, failed: 1, dropped: 0, too_large: 0 });
      await queue.stop();
    });
  }
});

describe('sink queue bounds in bytes, best-effort delivery, health', () => {
  function bounded(options: { delivery: 'required' | 'best-effort'; queueSize?: number; queueBytes?: number; maxBatchSize?: number; maxBatchBytes?: number }) {
    const sender = new ScriptedSender();
    const metrics = new Metrics();
    const queue = new SinkQueue({ sink: NULL_SINK, sender, queueSize: 100, maxBatchSize: 100, batchTimeoutMs: 60_000, metrics, ...options });
    const acked: string[] = [];
    const push = (bytes: number, ...messages: string[]) => {
      for (const message of messages) {
        const r = record(podEvent({ message }));
        queue.push({ record: r, bytes, ack: { done: () => acked.push(r.body) } });
      }
    };
    return { queue, sender, acked, push, metrics };
  }

  it('required: makes room() wait once the queued bytes reach queueBytes, in flight included', async () => {
    const { queue, sender, push } = bounded({ delivery: 'required', queueBytes: 3000, maxBatchSize: 2 });
    queue.start();
    push(1000, 'a', 'b');
    await waitFor(() => sender.waiting === 1, 'the batch in flight');
    assert.equal(queue.hasRoom(), true, '2000 of 3000 bytes');
    push(1000, 'c');
    assert.equal(queue.hasRoom(), false, '3000 of 3000 bytes');
    assert.equal(queue.bytes, 3000);
    sender.answer();
    await waitFor(() => queue.hasRoom(), 'room once the batch is acknowledged');
    await queue.stop(0);
  });

  it('best-effort: never makes anyone wait; drops its oldest queued records (never the batch in flight), counted', async () => {
    const { queue, sender, acked, push, metrics } = bounded({ delivery: 'best-effort', queueBytes: 4000, maxBatchSize: 1 });
    queue.start();
    push(1000, 'a');
    await waitFor(() => sender.waiting === 1, 'a in flight');
    push(1000, 'b', 'c', 'd', 'e', 'f');
    assert.equal(queue.hasRoom(), true);
    assert.equal(queue.bytes, 4000, 'a (in flight), d, e, f');
    assert.deepEqual(acked, ['b', 'c'], 'dropped records count as done: they never hold the checkpoint');
    assert.equal(queue.dropped, 2);
    assert.equal(await metricSum(metrics, 'eventrouter_records_total', { sink: 'null', outcome: 'dropped' }), 2);
    sender.answer();
    await waitFor(() => sender.waiting === 1 && sender.batches.length === 2, 'the next batch');
    assert.deepEqual(sender.batches, [['a'], ['d']]);
    await queue.stop(0);
  });

  it('best-effort: logs its drops with the sink\'s name, at most one line per 10 s however many it drops', async () => {
    const { logger, entries } = capturingLogger();
    const sender = new ScriptedSender();
    const queue = new SinkQueue({ sink: NULL_SINK, sender, delivery: 'best-effort', queueSize: 3, maxBatchSize: 1, batchTimeoutMs: 60_000, metrics: new Metrics(), logger });
    for (let i = 0; i < 500; i++) queue.push({ record: record(podEvent({ message: `m${i}` })), ack: { done: () => {} } });
    const lines = entries.filter((e) => e['msg'] === 'best-effort sink queue full; dropping its oldest records');
    assert.equal(queue.dropped, 497);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['sink'], 'null');
    assert.equal(lines[0]?.['delivery'], 'best-effort');
  });

  it('best-effort: drops the new record when the batch in flight alone fills the queue; any record goes into an empty one', async () => {
    const { queue, sender, acked, push } = bounded({ delivery: 'best-effort', queueSize: 2, queueBytes: 1500, maxBatchSize: 1 });
    queue.start();
    push(5000, 'huge');
    assert.equal(queue.depth, 1, 'an empty queue takes a record over queueBytes');
    await waitFor(() => sender.waiting === 1, 'huge in flight');
    push(100, 'next');
    assert.deepEqual(acked, ['next'], 'nothing older can be dropped: the new record is');
    assert.equal(queue.dropped, 1);
    assert.equal(queue.depth, 1);
    await queue.stop(0);
  });

  it('cuts a batch at maxBatchBytes (a single larger record still goes alone)', async () => {
    const { queue, sender, push } = bounded({ delivery: 'required', maxBatchSize: 100, maxBatchBytes: 2500 });
    queue.start();
    push(1000, 'a', 'b', 'c');
    push(5000, 'big');
    push(1000, 'd');
    await waitFor(() => sender.waiting === 1, 'the first batch, sent without waiting for the batch timeout');
    sender.answer();
    await waitFor(() => sender.batches.length === 2, 'the second');
    sender.answer();
    await waitFor(() => sender.batches.length === 3, 'the third');
    assert.deepEqual(sender.batches, [['a', 'b'], ['c'], ['big']]);
    await queue.stop(0);
  });

  it('acknowledges a split batch only once every half is delivered (the checkpoint never passes a pending half)', async () => {
    const metrics = new Metrics();
    const delivered: string[] = [];
    let outage = true;
    const sink: Sink<EventRecord> = {
      name: 'limited',
      start: async () => {},
      shutdown: async () => {},
      async export(records) {
        if (records.length > 2) return { ok: false, error: new ExportError('E_EXPORT_TOO_LARGE', 'HTTP 413', { status: 413 }) };
        if (outage && records.some((r) => r.body === 'd')) return { ok: false, error: new ExportError('E_EXPORT_STATUS', 'HTTP 503', { status: 503 }) };
        delivered.push(...records.map((r) => r.body));
        return { ok: true };
      },
    };
    const sender = new RetrySender({ sink, initialBackoffMs: 5, maxBackoffMs: 10, sleep, metrics, logger: silentLogger() });
    const queue = new SinkQueue({ sink, sender, queueSize: 100, maxBatchSize: 4, batchTimeoutMs: 1, metrics });
    queue.start();
    const acked: string[] = [];
    for (const message of ['a', 'b', 'c', 'd']) {
      const r = record(podEvent({ message }));
      queue.push({ record: r, ack: { done: () => acked.push(r.body) } });
    }
    await waitFor(() => delivered.length === 2 && sender.health.consecutiveFailures >= 2, 'the first half delivered, the second failing');
    assert.deepEqual(delivered, ['a', 'b']);
    assert.deepEqual(acked, [], 'nothing acknowledged while a half is pending');
    const health = queue.health();
    assert.equal(health.required, true);
    assert.ok(health.oldestQueuedAt !== undefined && health.lastSuccessAt !== undefined && health.consecutiveFailures >= 2, JSON.stringify(health));
    outage = false;
    await waitFor(() => acked.length === 4, 'the whole batch acknowledged');
    assert.deepEqual(delivered, ['a', 'b', 'c', 'd']);
    assert.equal(queue.health().oldestQueuedAt, undefined);
    assert.equal(queue.health().consecutiveFailures, 0);
    await queue.stop(0);
  });

  it("gives up its sink's health gauges when stopped: an ended term's leftover records do not age for ever on a standby", async () => {
    const metrics = new Metrics();
    const stuck = (): Sink => ({ name: 'otlp', start: async () => {}, shutdown: async () => {}, export: () => new Promise(() => {}) });
    const queueOf = () => {
      const sink = stuck();
      return new SinkQueue({ sink, sender: { send: (records) => sink.export(records).then(() => true) }, queueSize: 10, maxBatchSize: 1, batchTimeoutMs: 1, metrics });
    };
    const age = async () => (await samples(metrics, 'eventrouter_sink_oldest_queued_age_seconds', { sink: 'otlp' }))[0]?.value;
    const ended = queueOf();
    ended.push({ record: record(podEvent()), ack: { done: () => {} } });
    await waitFor(async () => (await age())! > 0, 'the waiting record to age');
    await ended.stop(0);
    assert.equal(await age(), 0);
    // The next term's queue takes the name; the ended one stopping late leaves it alone.
    const ending = queueOf();
    const next = queueOf();
    next.push({ record: record(podEvent()), ack: { done: () => {} } });
    await ending.stop(0);
    await waitFor(async () => (await age())! > 0, "the next term's waiting record to age");
    await next.stop(0);
  });
});
