import type { EventRecord } from '../model/event-record.ts';
import { heldBytes, stringBytes } from '../model/held-bytes.ts';

/**
 * Bounds the records between the source and the sinks' acknowledgements by their size in
 * bytes, not by their number: a backlog of large events then costs the same memory as one of
 * small events, and the source stops reading when the budget is spent (back-pressure, nothing
 * is dropped). One record larger than the whole budget is still admitted when nothing else is
 * in flight, so no event can block the pipeline.
 */
export class InFlightBudget {
  readonly #limit: number;
  #used = 0;
  #waiters: Array<() => void> = [];

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get usedBytes(): number {
    return this.#used;
  }

  /**
   * Takes `bytes` when they fit now (no promise: the common case); false when the caller must
   * wait with {@link InFlightBudget.acquire}. The caller must {@link InFlightBudget.release} what it took.
   */
  tryAcquire(bytes: number): boolean {
    if (this.#used > 0 && this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    return true;
  }

  /** Resolves once `bytes` fit; the caller must {@link InFlightBudget.release} them later. */
  async acquire(bytes: number): Promise<void> {
    while (!this.tryAcquire(bytes)) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    if (this.#waiters.length > 0) for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** What a record costs besides its strings: the record, its event, maps and times (bench/record-heap.ts). */
const RECORD_BYTES = 1024;

/**
 * What a record holds on the heap, roughly: its body, the strings of its attributes and
 * resource, a fixed amount for the objects around them, and the Event object when a format
 * keeps it (stdout `classic`). The body is already cut to `maxBodyLength` at mapping time and
 * nothing else of the parsed object survives it, so this is what the record really holds:
 * within a factor of 1.5 of the heap measured per held record by bench/record-heap.ts
 * (bench/README.md, "Memory per held record"). Cheap: a walk of a few dozen values per record.
 */
export function estimateRecordBytes(record: Pick<EventRecord, 'body' | 'attributes' | 'resource' | 'raw'>): number {
  let bytes = RECORD_BYTES + stringBytes(record.body);
  // for…in, not Object.values: no array per map per record (this runs for every record).
  const { attributes, resource } = record;
  for (const name in attributes) bytes += heldBytes(attributes[name], 2);
  for (const name in resource) bytes += heldBytes(resource[name], 2);
  if (record.raw !== undefined) {
    bytes += heldBytes(record.raw);
    // The Event object's message is the body itself (cutRawEvent shares it): counted once.
    const raw = record.raw as { message?: unknown; note?: unknown };
    if (raw.message === record.body || raw.note === record.body) bytes -= stringBytes(record.body);
  }
  return bytes;
}
