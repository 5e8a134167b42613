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
    }
    const done: ExportOutcome =
      formatError === undefined ? { ok: true } : { ok: true, rejected: { records: rejected, error: formatError } };
    if (text === '') return Promise.resolve(done);
    return new Promise((resolve) => {
      this.#stream.write(text, (error) => {
        resolve(error ? { ok: false, error: new ExportError('E_EXPORT_WRITE', error.message, { cause: error }) } : done);
      });
    });
  }

  async shutdown(): Promise<void> {}
}
