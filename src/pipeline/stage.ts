import type { SourceItem } from '../source/event-source.ts';

/** A watch notification or listed object that the source handed on. */
export type EventItem = Extract<SourceItem, { kind: 'event' }>;
