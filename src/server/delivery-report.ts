import type { SinkHealth } from '../sinks/sink-queue.ts';
import type { SinkDeliveryMetrics } from '../telemetry/health-metrics.ts';

/** One sink's delivery as `/readyz` shows it and the delivery gauges publish it. */
export interface SinkReport extends SinkDeliveryMetrics {
  required: boolean;
}

/**
 * Judges each sink's {@link SinkHealth}: a sink is stalled when records wait for it and it has
 * been done with nothing for `stallThresholdMs`, counted from the later of its last success and
 * the moment the oldest waiting record was queued (a sink idle for a day that gets one record
 * is not stalled at once).
 */
export function deliveryReport(sinks: readonly SinkHealth[], stallThresholdMs: number, now = Date.now()): SinkReport[] {
  return sinks.map((h) => {
    const waitingSince = h.oldestQueuedAt === undefined ? undefined : Math.max(h.oldestQueuedAt, h.lastSuccessAt ?? 0);
    return {
      sink: h.sink,
      required: h.required,
      ...(h.lastSuccessAt !== undefined ? { lastSuccessAt: h.lastSuccessAt } : {}),
      oldestQueuedAgeSeconds: h.oldestQueuedAt === undefined ? 0 : Math.max(0, (now - h.oldestQueuedAt) / 1000),
      consecutiveFailures: h.consecutiveFailures,
      stalled: waitingSince !== undefined && now - waitingSince >= stallThresholdMs,
    };
  });
}

/** The `/readyz` body entry of one sink: ISO times and whole seconds, for people and `jq`. */
export function sinkDetails(report: SinkReport): Record<string, unknown> {
  return {
    sink: report.sink,
    required: report.required,
    lastSuccess: report.lastSuccessAt === undefined ? null : new Date(report.lastSuccessAt).toISOString(),
    oldestQueuedAgeSeconds: Math.round(report.oldestQueuedAgeSeconds),
    consecutiveFailures: report.consecutiveFailures,
    stalled: report.stalled,
  };
}
