import type { Meter } from '@opentelemetry/api';
import { Gauge } from './gauge.ts';

/** One sink's delivery, as the probes assess it (see `server/delivery-report.ts`). */
export interface SinkDeliveryMetrics {
  sink: string;
  /** Epoch milliseconds of the last batch done with; absent before the first. */
  lastSuccessAt?: number;
  /** Age of the oldest record waiting for this sink; 0 when none waits. */
  oldestQueuedAgeSeconds: number;
  consecutiveFailures: number;
  /** Records wait and nothing was delivered for `server.deliveryStallThreshold`. */
  stalled: boolean;
}

/**
 * The gauges that say whether the router delivers and whether any replica leads: read at
 * collection from sources the app sets, so a scrape (or an OTLP push) in a quiet cluster sees the
 * current values, not those of the last delivery.
 */
export class HealthMetrics {
  /** The sinks of the current leadership term; none on standby. */
  sinks: () => readonly SinkDeliveryMetrics[] = () => [];
  /** Seconds this replica has known no valid leader (0 while it leads or sees one). */
  leaderlessSeconds: () => number = () => 0;

  constructor(meter: Meter) {
    const perSink = (name: string, help: string, value: (s: SinkDeliveryMetrics) => number | undefined): void => {
      new Gauge<'sink'>(meter, {
        name,
        help,
        labelNames: ['sink'],
        collect: (gauge) => {
          for (const sink of this.sinks()) {
            const v = value(sink);
            if (v !== undefined) gauge.set({ sink: sink.sink }, v);
          }
        },
      });
    };
    // Last success, oldest queued record and consecutive failures per sink are the
    // eventrouter_sink_* gauges of Metrics (read from SinkQueue.health); stalled needs the threshold.
    perSink('eventrouter_sink_stalled', '1 while records wait for a sink that has delivered nothing for server.deliveryStallThreshold.', (s) => (s.stalled ? 1 : 0));
    new Gauge(meter, {
      name: 'eventrouter_leaderless_seconds',
      help: 'Seconds this replica has seen no valid Lease holder, itself included (0 while one leads, or without leader election).',
      collect: (gauge) => gauge.set(this.leaderlessSeconds()),
    });
  }
}
