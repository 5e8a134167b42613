import type { SinkResult } from '../sinks/sink-result.ts';

/** One line per sink, every sink named, whatever its outcome. */
export function formatSinkOutcomes(outcomes: readonly SinkResult[]): string[] {
  return outcomes.map(
    (o) => `  sink ${o.sink}: ${o.delivered} delivered, ${o.failed} failed, ${o.dropped > 0 ? `${o.dropped} dropped, ` : ''}${o.pending} pending${o.filtered > 0 ? ` (${o.filtered} not routed to it)` : ''}`,
  );
}
