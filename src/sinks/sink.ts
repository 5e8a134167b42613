import type { Component } from '../component/component.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { ExportError } from './export-error.ts';

/** The outcome of one export call. */
export type ExportOutcome =
  /**
   * `rejected`: records of the batch that could not be sent at all (e.g. not serialisable), or
   * that the receiver rejected (an OTLP partial success: it says how many, not which, so
   * `records` may be empty and `count` says how many); the rest went out.
   */
  | { ok: true; rejected?: { records: readonly EventRecord[]; count?: number; error: Error } }
  /** The whole batch failed; the error says whether a retry can help and how long the receiver asked to wait. */
  | { ok: false; error: ExportError };

/**
 * A destination for records, with the {@link Component} lifecycle: `start`, any number of
 * `export` calls (never concurrent for one sink, never throwing), `shutdown`. A sink makes one
 * attempt per `export`: retries are the retry sender's (see `retry-sender.ts`).
 */
export interface Sink extends Component {
  readonly name: string;
  export(records: readonly EventRecord[]): Promise<ExportOutcome>;
}
