import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSinkOutcomes } from '../../src/cli/sink-summary.ts';
import type { SinkResult } from '../../src/sinks/sink-result.ts';

function outcome(overrides: Partial<SinkResult>): SinkResult {
  return { sink: 's', delivered: 0, failed: 0, dropped: 0, pending: 0, filtered: 0, ...overrides };
}

describe('sink summary', () => {
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
});
