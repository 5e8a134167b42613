import type { EventRecord } from '../model/event-record.ts';
import type { SourceItem } from '../source/event-source.ts';

/** A watch notification or listed object that the source handed on. */
export type EventItem = Extract<SourceItem, { kind: 'event' }>;

/**
 * One step of the pipeline: a function of a record. It returns the record (changed or not) to
 * pass it on, or undefined to end it here (acknowledged without export). A stage that needs
 * state (the occurrence tracker, a cache) keeps it itself; the pipeline only orders the stages.
 */
export type RecordStage = (record: EventRecord) => EventRecord | undefined;

/** A stage that waits (an API lookup). The pipeline runs a bounded window of them at once. */
export type AsyncRecordStage = (record: EventRecord) => Promise<EventRecord | undefined>;
