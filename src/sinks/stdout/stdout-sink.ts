import type { Writable } from 'node:stream';
import type { EventRecord } from '../../model/event-record.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import { toJsonLine } from './json-line.ts';

export interface StdoutSinkOptions {
  name: string;
  format?: 'json';
  /** Defaults to process.stdout. */
  stream?: Writable;
}

/** Writes one JSON object per record; acknowledges once the stream accepted the bytes. */
export class StdoutSink implements Sink {
  readonly type = 'stdout';
  readonly name: string;
  readonly #stream: Writable;

  constructor(options: StdoutSinkOptions) {
    this.name = options.name;
    this.#stream = options.stream ?? process.stdout;
  }

  async start(): Promise<void> {}

  export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    let text = '';
    for (const record of records) text += `${toJsonLine(record)}\n`;
    return new Promise((resolve) => {
      this.#stream.write(text, (error) => {
        resolve(error ? { ok: false, retryable: true, error } : { ok: true });
      });
    });
  }

  async shutdown(): Promise<void> {}
}
