import type { EventRecord } from '../model/event-record.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { Stage } from './stage.ts';

/** metrics: counts every record that goes on to the sinks, by type, reason, kind and namespace. */
export class CountStage implements Stage {
  readonly name = 'count';
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  process(record: EventRecord): EventRecord {
    const { event } = record;
    // Raw values: the metrics bound every label (BoundedLabel).
    this.#metrics.event(event.type, event.reason, event.regarding.kind, record.resource['k8s.namespace.name'] as string | undefined);
    return record;
  }
}
