import type { EventRecord } from '../model/event-record.ts';

/** The outcome of one export call. */
export type ExportOutcome =
  | { ok: true }
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
