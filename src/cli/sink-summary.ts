import type { Metrics } from '../telemetry/metrics.ts';

/** What became of the records routed to one sink. */
export interface SinkOutcome {
  sink: string;
  /** Acknowledged by the sink. */
  delivered: number;
  /** Refused for good (a permanent error): dropped. */
  failed: number;
  /** Still queued or in flight when the run ended: not delivered. */
  pending: number;
  /** Not routed to this sink by its match/drop rules. */
  filtered: number;
}

/** Every sink's outcome, from the router's own counters; call after the router stopped. */
export async function sinkOutcomes(metrics: Metrics, sinks: readonly string[]): Promise<SinkOutcome[]> {
  const counts = new Map<string, number>();
  for (const value of (await metrics.records.get()).values) counts.set(`${String(value.labels.sink)}/${String(value.labels.outcome)}`, value.value);
  return sinks.map((sink) => ({
    sink,
    delivered: counts.get(`${sink}/exported`) ?? 0,
    failed: counts.get(`${sink}/failed`) ?? 0,
    pending: metrics.queueDepthSources.get(sink)?.() ?? 0,
    filtered: counts.get(`${sink}/filtered`) ?? 0,
  }));
}

/** One line per sink, every sink named, whatever its outcome. */
export function formatSinkOutcomes(outcomes: readonly SinkOutcome[]): string[] {
  return outcomes.map(
    (o) => `  sink ${o.sink}: ${o.delivered} delivered, ${o.failed} failed, ${o.pending} pending${o.filtered > 0 ? ` (${o.filtered} not routed to it)` : ''}`,
  );
}

/** Everything routed to every sink was delivered. */
export function allDelivered(outcomes: readonly SinkOutcome[]): boolean {
  return outcomes.every((o) => o.failed === 0 && o.pending === 0);
}
