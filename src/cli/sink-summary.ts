import type { Metrics } from '../telemetry/metrics.ts';

/** What became of the records routed to one sink. */
export interface SinkOutcome {
  sink: string;
  /** Acknowledged by the sink. */
  delivered: number;
  /** Refused for good (a permanent error), or too large for the receiver on its own: dropped. */
  failed: number;
  /** Dropped by a best-effort sink (queue full, or retries past maxElapsedTime). */
  dropped: number;
  /** Still queued or in flight when the run ended: not delivered. */
  pending: number;
  /** Not routed to this sink by its match/drop rules. */
  filtered: number;
}

/** Every sink's outcome, from the router's own counters; call after the router stopped. */
export function sinkOutcomes(metrics: Metrics, sinks: readonly string[]): SinkOutcome[] {
  return sinks.map((sink) => ({
    sink,
    delivered: metrics.records.value({ sink, outcome: 'exported' }),
    failed: metrics.records.value({ sink, outcome: 'failed' }) + metrics.records.value({ sink, outcome: 'too_large' }),
    dropped: metrics.records.value({ sink, outcome: 'dropped' }),
    pending: metrics.queueDepthSources.get(sink)?.() ?? 0,
    filtered: metrics.records.value({ sink, outcome: 'filtered' }),
  }));
}

/** One line per sink, every sink named, whatever its outcome. */
export function formatSinkOutcomes(outcomes: readonly SinkOutcome[]): string[] {
  return outcomes.map(
    (o) => `  sink ${o.sink}: ${o.delivered} delivered, ${o.failed} failed, ${o.dropped > 0 ? `${o.dropped} dropped, ` : ''}${o.pending} pending${o.filtered > 0 ? ` (${o.filtered} not routed to it)` : ''}`,
  );
}

/** Everything routed to every sink was delivered. */
export function allDelivered(outcomes: readonly SinkOutcome[]): boolean {
  return outcomes.every((o) => o.failed === 0 && o.dropped === 0 && o.pending === 0);
}
