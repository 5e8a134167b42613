import type { EventRecord } from '../../model/event-record.ts';
import type { ExportOutcome, Sink } from '../sink.ts';

/** A sink that keeps what it receives, for tests; `failNext` makes the next exports fail. */
export class InMemorySink implements Sink {
  readonly name: string;
  readonly records: EventRecord[] = [];
  exportCalls = 0;
  #failures: ExportOutcome[] = [];

  constructor(name = 'memory') {
    this.name = name;
  }

  failNext(outcome: ExportOutcome, times = 1): void {
    for (let i = 0; i < times; i++) this.#failures.push(outcome);
  }

  async start(): Promise<void> {}

  async export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    this.exportCalls += 1;
    const failure = this.#failures.shift();
    if (failure !== undefined) return failure;
    this.records.push(...records);
    return { ok: true };
  }

  async shutdown(): Promise<void> {}
}
