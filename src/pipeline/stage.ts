import type { SourceItem } from '../source/source-item.ts';

/** A watch notification or listed object that the source handed on. */
export type EventItem = Extract<SourceItem, { kind: 'event' }>;
