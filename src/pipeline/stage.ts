import type { EventRecord } from '../model/event-record.ts';
import type { SourceItem } from '../source/source-item.ts';

/** A watch notification or listed object that the source handed on. */
export type EventItem = Extract<SourceItem, { kind: 'event' }>;

/** What a stage hands on: the record, undefined when it ends there, or a promise of either. */
export type StageResult = EventRecord | undefined | Promise<EventRecord | undefined>;

/**
 * One step every record takes between its mapping and the fan-out, in the order of the
 * pipeline's list. `process` returns the record to hand on (the same object: a stage may add to
 * it, as no sink has seen it yet), undefined when the record ends there (the stage counted why),
 * or a promise of either when it has to wait (an owner lookup). A stage that can answer at once
 * does: no promise per record. Records may pass the stages out of stream order (a window of
 * lookups runs at once); the fan-out after the last stage is in stream order.
 */
export interface Stage {
  readonly name: string;
  process(record: EventRecord): StageResult;
}

/** Takes `record` through `stages` from `from`: at once while no stage has to wait. */
export function runStages(stages: readonly Stage[], record: EventRecord, from = 0): StageResult {
  let current = record;
  for (let i = from; i < stages.length; i++) {
    const out = (stages[i] as Stage).process(current);
    if (out === undefined) return undefined;
    if (out instanceof Promise) return out.then((r) => (r === undefined ? undefined : runStages(stages, r, i + 1)));
    current = out;
  }
  return current;
}
