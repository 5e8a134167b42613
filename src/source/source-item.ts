import type { NormalizedEvent } from '../model/normalized-event.ts';

/** What a source hands to the pipeline, in stream order. */
export type SourceItem =
  | {
      kind: 'event';
      /** `LISTED` for objects of a (re-)list, where ADDED/MODIFIED cannot be told apart. */
      notification: 'ADDED' | 'MODIFIED' | 'DELETED' | 'LISTED';
      event: NormalizedEvent;
      /**
       * The object as received (not copied); from a watch, undefined unless a sink needs it
       * (EventSourceOptions.keepRaw).
       */
      raw: unknown;
      /** The cursor reached once this item is delivered; undefined inside a list. */
      resourceVersion: string | undefined;
    }
  | { kind: 'cursor'; resourceVersion: string }
  /** End of a LIST page: everything up to `after` (by key) of the snapshot at `resourceVersion` was handed on. */
  | { kind: 'list-progress'; resourceVersion: string; after: string };
