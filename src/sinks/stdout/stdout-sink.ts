import type { Writable } from 'node:stream';
import type { EventRecord } from '../../model/event-record.ts';
import { ExportError } from '../export-error.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import { ClassicFormatter, toJsonLine } from './json-line.ts';

export interface StdoutSinkOptions {
  name: string;
  format?: 'json' | 'classic';
  /** Defaults to process.stdout. */
  stream?: Writable;
}

/** Characters of output handed to the stream in one write, at most (plus one line). */
const WRITE_PIECE_LENGTH = 1024 * 1024;

/** Writes one JSON object per record; acknowledges once the stream accepted the bytes. */
export class StdoutSink implements Sink {
  readonly name: string;
  readonly #stream: Writable;
  readonly #format: (record: EventRecord) => string;

  constructor(options: StdoutSinkOptions) {
    this.name = options.name;
    this.#format = options.format === 'classic' ? new ClassicFormatter().format : toJsonLine;
    this.#stream = options.stream ?? process.stdout;
  }

  async start(): Promise<void> {}

  export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    let text = '';
    const writes: Array<Promise<Error | null | undefined>> = [];
    // Written in pieces: a batch of records with long messages (1,000 × 32 KiB) is no longer one
    // string of tens of MB on the heap, and then its flattened copy, until the stream takes it.
    const flush = () => {
      const piece = text;
      text = '';
      writes.push(new Promise((resolve) => this.#stream.write(piece, resolve)));
    };
    const rejected: EventRecord[] = [];
    let formatError: Error | undefined;
    for (const record of records) {
      try {
        text += `${this.#format(record)}\n`;
      } catch (error) {
        // JSON.parse accepts an object nested 5,000 deep that JSON.stringify cannot write (stack
        // overflow): that record can never be written, the others of the batch still can.
        rejected.push(record);
        formatError = error instanceof Error ? error : new Error(String(error));
      }
      if (text.length >= WRITE_PIECE_LENGTH) flush();
    }
    if (text !== '') flush();
    const done: ExportOutcome =
      formatError === undefined ? { ok: true } : { ok: true, rejected: { records: rejected, error: formatError } };
    if (writes.length === 0) return Promise.resolve(done);
    return Promise.all(writes).then((errors) => {
      const error = errors.find((e) => e);
      return error ? { ok: false, error: new ExportError('E_EXPORT_WRITE', error.message, { cause: error }) } : done;
    });
  }

  async shutdown(): Promise<void> {}
}
