import type { Component } from '../component/component.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { ExportError } from './export-error.ts';

/** What the queue and the retry sender need of a queued record, whatever form a sink queues it in: a name for log lines. */
export interface SinkItem {
  readonly dedupeKey: string;
}

/**
 * A record in a sink's own wire form, made as it enters the sink's queue (see {@link Sink.encode}):
 * the bytes and a few names for log lines, so that the parsed event and its record die young.
 */
export interface EncodedItem extends SinkItem {
  /** Bytes the queue counts for it (queue bound, in-flight bytes, batch cap): what it adds to a request at most. */
  readonly size: number;
  readonly uid: string;
  readonly namespace: string | undefined;
  readonly name: string;
  /** Characters of its body (for the log line of a record too large on its own). */
  readonly bodyLength: number;
}

/** The outcome of one export call. */
export type ExportOutcome<T extends SinkItem = SinkItem> =
  /**
   * `rejected`: records of the batch that could not be sent at all (e.g. not serialisable), or
   * that the receiver rejected (an OTLP partial success: it says how many, not which, so
   * `records` may be empty and `count` says how many); the rest went out.
   */
  | { ok: true; rejected?: { records: readonly T[]; count?: number; error: Error } }
  /** The whole batch failed; the error says whether a retry can help and how long the receiver asked to wait. */
  | { ok: false; error: ExportError };

/**
 * A destination for records, with the {@link Component} lifecycle: `start`, any number of
 * `export` calls (never concurrent for one sink, never throwing), `shutdown`. A sink makes one
 * attempt per `export`: retries are the retry sender's (see `retry-sender.ts`).
 */
export interface Sink<T extends SinkItem = SinkItem> extends Component {
  readonly name: string;
  /**
   * When set, the sink's queue calls it as a record enters and queues what it returns instead of
   * the record (an OTLP sink: the encoded `LogRecord`), counted by its `size`; `export` then gets
   * those. It throws for a record it cannot encode (that record alone is counted as failed).
   * Unset: the record itself is queued, counted by its estimated size in memory.
   */
  readonly encode?: ((record: EventRecord) => T & EncodedItem) | undefined;
  export(items: readonly T[]): Promise<ExportOutcome<T>>;
}
