import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SinkOutcome, allDelivered, formatSinkOutcomes, sinkOutcomes } from '../../src/cli/sink-summary.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

function outcome(overrides: Partial<SinkOutcome>): SinkOutcome {
  return { sink: 's', delivered: 0, failed: 0, dropped: 0, pending: 0, filtered: 0, ...overrides };
}

describe('sink summary', () => {
  it('reads each sink\'s outcome from its own counters; too large counts as failed', () => {
    const metrics = new Metrics();
    let depth = 0;
    metrics.addSink('otlp', () => depth);
    metrics.addSink('stdout', () => 0);
    metrics.records.inc({ sink: 'otlp', outcome: 'exported' }, 7);
    metrics.records.inc({ sink: 'otlp', outcome: 'failed' }, 2);
    metrics.records.inc({ sink: 'otlp', outcome: 'too_large' }, 1);
    metrics.records.inc({ sink: 'otlp', outcome: 'dropped' }, 3);
    metrics.records.inc({ sink: 'otlp', outcome: 'filtered' }, 4);
    metrics.records.inc({ sink: 'stdout', outcome: 'exported' }, 5);
    depth = 6;
    assert.deepEqual(sinkOutcomes(metrics, ['otlp', 'stdout']), [
      { sink: 'otlp', delivered: 7, failed: 3, dropped: 3, pending: 6, filtered: 4 },
      { sink: 'stdout', delivered: 5, failed: 0, dropped: 0, pending: 0, filtered: 0 },
    ]);
  });

  it('names a sink that never counted anything, at zero', () => {
    assert.deepEqual(sinkOutcomes(new Metrics(), ['quiet']), [outcome({ sink: 'quiet' })]);
  });

  it('writes one line per sink; dropped and not-routed only when there are any', () => {
    assert.deepEqual(
      formatSinkOutcomes([
        outcome({ sink: 'otlp', delivered: 7, failed: 3, dropped: 2, pending: 1, filtered: 4 }),
        outcome({ sink: 'stdout', delivered: 5 }),
      ]),
      ['  sink otlp: 7 delivered, 3 failed, 2 dropped, 1 pending (4 not routed to it)', '  sink stdout: 5 delivered, 0 failed, 0 pending'],
    );
    assert.deepEqual(formatSinkOutcomes([]), []);
  });

  it('is all delivered only when no sink failed, dropped or kept anything pending; filtered is not a loss', () => {
    assert.equal(allDelivered([outcome({ delivered: 3, filtered: 9 }), outcome({ sink: 't' })]), true);
    assert.equal(allDelivered([]), true);
    assert.equal(allDelivered([outcome({ delivered: 3 }), outcome({ failed: 1 })]), false);
    assert.equal(allDelivered([outcome({ dropped: 1 })]), false);
    assert.equal(allDelivered([outcome({ pending: 1 })]), false);
  });
});
