import type { Config } from '../config/schema.ts';
import type { EventRecord } from '../model/event-record.ts';
import { RecordFilter } from '../rules/record-filter.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { Stage } from './stage.ts';

/** drop: the top-level `drop` rules end a record before any sink sees it (counted). */
export class DropStage implements Stage {
  readonly name = 'drop';
  readonly #filter: RecordFilter;
  readonly #metrics: Metrics;

  constructor(rules: Config['drop'], metrics: Metrics) {
    this.#filter = new RecordFilter([], rules);
    this.#metrics = metrics;
  }

  process(record: EventRecord): EventRecord | undefined {
    if (this.#filter.accepts(record)) return record;
    this.#metrics.droppedByRule.inc({});
    return undefined;
  }
}
