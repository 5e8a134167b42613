import type { EventRecord } from '../model/event-record.ts';

/** The outcome of one export call. */
export type ExportOutcome =
  /** `rejected`: records of the batch that could not be sent at all (e.g. not serialisable); the rest went out. */
  | { ok: true; rejected?: { records: readonly EventRecord[]; error: Error } }
  /** `retryable: false` means the data itself was refused (e.g. HTTP 400): retrying cannot help. */
  | { ok: false; retryable: boolean; error: Error; retryAfterMs?: number };

/**
 * A destination for records. One lifecycle for all sinks: `start`, any number of `export`
 * calls (never concurrent for one sink, never throwing), `shutdown`.
 */
export interface Sink {
  readonly name: string;
  readonly type: string;
  start(): Promise<void>;
  export(records: readonly EventRecord[]): Promise<ExportOutcome>;
  shutdown(): Promise<void>;
}
