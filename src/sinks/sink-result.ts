/** What became of the records routed to one sink, as its own chain saw them. */
export interface SinkResult {
  sink: string;
  /** Acknowledged by the sink. */
  delivered: number;
  /** Refused for good (a permanent error), too large for the receiver on its own, or not encodable: dropped. */
  failed: number;
  /** Dropped by a best-effort sink (queue full, or retries past maxElapsedTime). */
  dropped: number;
  /** Still queued or in flight (once stopped: not delivered). */
  pending: number;
  /** Not routed to this sink by its match/drop rules. */
  filtered: number;
}

/**
 * The counts one sink's lane keeps as records go (its route, its queue, its retry sender each add
 * theirs): the run's own record of each sink's outcome, which replay's exit code and the demo's
 * summary are read from. The telemetry counters say the same for dashboards, but are shared by
 * every run in the process and may be scoped or capped; a run is judged by its own sinks.
 */
export class SinkTally {
  delivered = 0;
  failed = 0;
  dropped = 0;
  filtered = 0;

  /** The result, with what the queue still holds. */
  result(sink: string, pending: number): SinkResult {
    return { sink, delivered: this.delivered, failed: this.failed, dropped: this.dropped, pending, filtered: this.filtered };
  }
}

/** Everything routed to every sink was delivered. */
export function allDelivered(results: readonly SinkResult[]): boolean {
  return results.every((r) => r.failed === 0 && r.dropped === 0 && r.pending === 0);
}
