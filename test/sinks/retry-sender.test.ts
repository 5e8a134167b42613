import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { RetrySender, exportSafely } from '../../src/sinks/retry-sender.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { podEvent } from '../support/harness.ts';
import { byLabel } from '../support/metric-samples.ts';

function records(n: number): EventRecord[] {
  return Array.from({ length: n }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));
}

const unavailable = (retryAfterMs?: number) => ({ ok: false as const, error: new ExportError('E_EXPORT_STATUS', 'HTTP 503', { status: 503, retryAfterMs }) });

/** A sender whose waits return at once and are recorded: no test waits on the clock. */
function senderFor(sink: Sink, backoff = { initialBackoffMs: 100, maxBackoffMs: 400 }) {
  const { logger, entries } = capturingLogger();
  const metrics = new Metrics();
  const waits: number[] = [];
  const sender = new RetrySender({
    sink,
    ...backoff,
    sleep: async (ms) => void waits.push(ms),
    metrics,
    logger,
  });
  const retryLogs = () => entries.filter((e) => e['msg'] === 'export failed; retrying');
  const outcomes = () => byLabel(metrics, 'eventrouter_records_total', 'outcome', { sink: sink.name });
  return { sender, waits, entries, retryLogs, metrics, outcomes };
}

describe('retry sender', () => {
  it('retries a retryable failure until the sink takes the batch, first after exactly initialBackoff', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(), 3);
    const { sender, waits, retryLogs, outcomes } = senderFor(sink);
    assert.equal(await sender.send(records(2), new AbortController().signal), true);
    assert.equal(sink.exportCalls, 4);
    assert.equal(sink.records.length, 2);
    assert.equal(waits[0], 100, 'the first wait is initialBackoff (jitter spans [initial, current])');
    assert.equal(waits.length, 3);
    assert.deepEqual(await outcomes(), { exported: 2 });
    assert.deepEqual(retryLogs().map((e) => e['retryInMs']), waits, 'the log says the real wait');
    assert.deepEqual(retryLogs().map((e) => e['code']), ['E_EXPORT_STATUS', 'E_EXPORT_STATUS', 'E_EXPORT_STATUS']);
  });

  it('doubles the backoff up to maxBackoff, with jitter, and starts over after a success', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(), 5);
    const { sender, waits } = senderFor(sink);
    await sender.send(records(1), new AbortController().signal);
    const ceilings = [100, 200, 400, 400, 400];
    waits.forEach((wait, i) => assert.ok(wait >= 100 && wait <= ceilings[i]!, `wait ${i}: ${wait} ms within [100, ${ceilings[i]}]`));
    sink.failNext(unavailable());
    await sender.send(records(1), new AbortController().signal);
    assert.equal(waits.at(-1), 100, 'reset after the success');
  });

  it('waits as long as the receiver’s Retry-After says when that is longer than the backoff, and logs that wait', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(2000));
    const { sender, waits, retryLogs } = senderFor(sink);
    await sender.send(records(1), new AbortController().signal);
    assert.deepEqual(waits, [2000]);
    assert.equal(retryLogs()[0]?.['retryInMs'], 2000);
    assert.equal(retryLogs()[0]?.['retryAfterMs'], 2000);
  });

  it('keeps its own backoff when the Retry-After is shorter', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(10));
    const { sender, waits } = senderFor(sink);
    await sender.send(records(1), new AbortController().signal);
    assert.deepEqual(waits, [100]);
  });

  it('does not retry a permanent failure: one attempt, counted as failed and logged with the dedupe keys', async () => {
    const sink = new InMemorySink('s');
    sink.failNext({ ok: false, error: new ExportError('E_EXPORT_REFUSED', 'HTTP 400: bad', { status: 400 }) });
    const { sender, waits, entries, outcomes } = senderFor(sink);
    const batch = records(3);
    assert.equal(await sender.send(batch, new AbortController().signal), true, 'the batch is done with');
    assert.equal(sink.exportCalls, 1);
    assert.deepEqual(waits, []);
    assert.deepEqual(await outcomes(), { failed: 3 });
    const line = entries.find((e) => e['msg'] === 'sink refused a batch permanently; it is not retried');
    assert.equal(line?.['code'], 'E_EXPORT_REFUSED');
    assert.deepEqual(line?.['dedupeKeys'], batch.map((r) => r.dedupeKey));
  });

  it('counts the records a sink could not write as failed and the rest as exported', async () => {
    const batch = records(3);
    const sink: Sink = {
      name: 'partial',
      start: async () => {},
      shutdown: async () => {},
      export: async () => ({ ok: true, rejected: { records: [batch[1]!], error: new RangeError('too deep') } }),
    };
    const { sender, entries, outcomes } = senderFor(sink);
    await sender.send(batch, new AbortController().signal);
    assert.deepEqual(await outcomes(), { exported: 2, failed: 1 });
    assert.deepEqual(entries.find((e) => e['records'] === 1)?.['dedupeKeys'], [batch[1]!.dedupeKey]);
  });

  it('stops waiting when aborted and leaves the batch unacknowledged', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(), 10);
    const stop = new AbortController();
    const { logger } = capturingLogger();
    const sender = new RetrySender({
      sink,
      initialBackoffMs: 100,
      maxBackoffMs: 100,
      sleep: async () => stop.abort(),
      metrics: new Metrics(),
      logger,
    });
    assert.equal(await sender.send(records(1), stop.signal), false);
    assert.equal(sink.exportCalls, 1);
  });

  for (const how of ['throws', 'rejects'] as const) {
    it(`makes a sink that ${how} a permanent E_EXPORT_THREW failure`, async () => {
      const sink: Sink = {
        name: 'fragile',
        start: async () => {},
        shutdown: async () => {},
        export: (): never => {
          if (how === 'rejects') return Promise.reject(new RangeError('boom')) as never;
          throw new RangeError('boom');
        },
      };
      const outcome = await exportSafely(sink, records(1));
      assert.equal(outcome.ok, false);
      assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_THREW');
      assert.equal(outcome.ok === false && outcome.error.retryable, false);
    });
  }
});

describe('retry sender: best-effort give-up and splitting', () => {
  /** A sender whose clock only its `sleep` moves. */
  function clocked(sink: Sink, maxElapsedMs?: number) {
    const { logger, entries } = capturingLogger();
    const metrics = new Metrics();
    let now = 1_000_000;
    const sender = new RetrySender({ sink, initialBackoffMs: 1000, maxBackoffMs: 30_000, maxElapsedMs, sleep: async (ms) => void (now += ms), now: () => now, metrics, logger });
    return { sender, entries, outcomes: () => byLabel(metrics, 'eventrouter_records_total', 'outcome', { sink: sink.name }) };
  }

  it('best-effort: drops a batch still failing maxElapsedTime after its first attempt, counted as dropped and logged', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(), 1000);
    const { sender, entries, outcomes } = clocked(sink, 60_000);
    assert.equal(await sender.send(records(4), new AbortController().signal), true, 'done with');
    assert.ok(sink.exportCalls > 2 && sink.exportCalls < 20, `${sink.exportCalls} attempts in a minute of backoff`);
    assert.deepEqual(await outcomes(), { dropped: 4 });
    assert.ok(entries.some((e) => e['msg'] === 'best-effort sink still failing after maxElapsedTime; the batch is dropped'));
    assert.equal(sender.health.consecutiveFailures, sink.exportCalls);
    assert.equal(sender.health.lastSuccessAt, undefined);
  });

  it('without maxElapsedTime (required) keeps retrying, and a success resets the failure count', async () => {
    const sink = new InMemorySink('s');
    sink.failNext(unavailable(), 50);
    const { sender, outcomes } = clocked(sink);
    assert.equal(await sender.send(records(2), new AbortController().signal), true);
    assert.equal(sink.exportCalls, 51);
    assert.deepEqual(await outcomes(), { exported: 2 });
    assert.equal(sender.health.consecutiveFailures, 0);
    assert.ok(sender.health.lastSuccessAt! > 1_000_000, 'the time of the success, by the sender\'s clock');
  });

  it('halves a batch refused as too large until each part fits; a record too large alone is dropped and counted', async () => {
    const batch = records(9);
    const huge = batch[5]!;
    const sent: number[] = [];
    const sink: Sink = {
      name: 'limited',
      start: async () => {},
      shutdown: async () => {},
      async export(part) {
        sent.push(part.length);
        // Refuses more than two records, and the huge one in any company.
        if (part.length > 2 || part.includes(huge)) return { ok: false, error: new ExportError('E_EXPORT_TOO_LARGE', 'HTTP 413', { status: 413 }) };
        return { ok: true };
      },
    };
    const { sender, entries, outcomes } = clocked(sink);
    assert.equal(await sender.send(batch, new AbortController().signal), true);
    assert.deepEqual(await outcomes(), { exported: 8, too_large: 1 });
    assert.equal(entries.find((e) => e['msg'] === 'the receiver refuses this record as too large on its own; it is dropped')?.['uid'], huge.event.uid);
    assert.equal(entries.filter((e) => e['msg']?.toString().startsWith('request too large')).length, 1, 'one line per refused batch');
    assert.equal(sender.health.consecutiveFailures, 0, 'a split is not an outage');
  });
});
