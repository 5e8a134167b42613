import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryReport, sinkDetails } from '../../src/server/delivery-report.ts';
import type { SinkHealth } from '../../src/sinks/sink-queue.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const MINUTE = 60_000;
const THRESHOLD = 5 * MINUTE;

function health(overrides: Partial<SinkHealth> = {}): SinkHealth {
  return { sink: 'otlp', required: true, consecutiveFailures: 0, ...overrides };
}

const report = (h: SinkHealth) => deliveryReport([h], THRESHOLD, NOW)[0]!;

describe('delivery report', () => {
  it('reports each sink in order, with nothing waiting: never stalled, however long since its last success', () => {
    const reports = deliveryReport([health({ sink: 'a', lastSuccessAt: NOW - 24 * 60 * MINUTE }), health({ sink: 'b', required: false })], THRESHOLD, NOW);
    assert.deepEqual(reports, [
      { sink: 'a', required: true, lastSuccessAt: NOW - 24 * 60 * MINUTE, oldestQueuedAgeSeconds: 0, consecutiveFailures: 0, stalled: false },
      { sink: 'b', required: false, oldestQueuedAgeSeconds: 0, consecutiveFailures: 0, stalled: false },
    ]);
    assert.equal('lastSuccessAt' in reports[1]!, false);
  });

  it('is stalled from the threshold on when records wait and nothing was ever delivered', () => {
    assert.equal(report(health({ oldestQueuedAt: NOW - THRESHOLD + 1 })).stalled, false);
    assert.equal(report(health({ oldestQueuedAt: NOW - THRESHOLD })).stalled, true);
    assert.equal(report(health({ oldestQueuedAt: NOW - THRESHOLD, consecutiveFailures: 9 })).consecutiveFailures, 9);
  });

  it('counts from the later of the last success and the oldest waiting record: an idle sink that gets one record is not stalled at once', () => {
    // Idle for a day, one record queued a minute ago.
    const idle = report(health({ lastSuccessAt: NOW - 24 * 60 * MINUTE, oldestQueuedAt: NOW - MINUTE }));
    assert.equal(idle.stalled, false);
    assert.equal(idle.oldestQueuedAgeSeconds, 60);
    // A record waits for 10 minutes, but the sink delivered 1 minute ago (it moves, slowly).
    const moving = report(health({ lastSuccessAt: NOW - MINUTE, oldestQueuedAt: NOW - 10 * MINUTE }));
    assert.equal(moving.stalled, false);
    assert.equal(moving.oldestQueuedAgeSeconds, 600);
    // Nothing delivered for 6 minutes while a record waits for 10.
    assert.equal(report(health({ lastSuccessAt: NOW - 6 * MINUTE, oldestQueuedAt: NOW - 10 * MINUTE })).stalled, true);
  });

  it('reads a record queued after `now` (a clock step) as waiting 0 seconds, not a negative age', () => {
    const r = report(health({ oldestQueuedAt: NOW + MINUTE }));
    assert.equal(r.oldestQueuedAgeSeconds, 0);
    assert.equal(r.stalled, false);
  });

  it('gives /readyz ISO times and whole seconds, null for a sink that never delivered', () => {
    assert.deepEqual(sinkDetails(report(health({ lastSuccessAt: NOW - 1500, oldestQueuedAt: NOW - 2600 }))), {
      sink: 'otlp',
      required: true,
      lastSuccess: '2026-01-01T11:59:58.500Z',
      oldestQueuedAgeSeconds: 3,
      consecutiveFailures: 0,
      stalled: false,
    });
    assert.equal(sinkDetails(report(health())).lastSuccess, null);
  });
});
