/** One item the source handed on, waiting for every sink it was routed to. */
/** How far an unfinished LIST got: every object up to `after` (by key) of the snapshot at `resourceVersion`. */
export interface ListProgress {
  resourceVersion: string;
  after: string;
}

export interface TrackedEntry {
  /** The cursor reached once this entry and all before it are acknowledged; undefined inside a list. */
  readonly resourceVersion: string | undefined;
  /** Set on the entry that ends a page of a LIST. */
  readonly listProgress?: ListProgress | undefined;
  /** Acknowledgements it still waits for: changed only through {@link AckTracker.expect} and {@link AckTracker.ack}. */
  readonly pending: number;
  readonly receivedAt: number;
}

/**
 * A record's hold on its place in the cursor, and on what it takes of the pipeline's in-flight
 * budget (`bytes`, given back through `release` once the last acknowledgement came): the
 * pipeline's own hold (1) plus one per required sink it is queued for. `expect` counts one more
 * before each such queueing; each sink's queue calls `done` once it is done with the record.
 */
export interface RecordHold {
  readonly bytes: number;
  expect(): void;
  done(): void;
}

/**
 * One entry, and for a record also its hold: one object per record from the source to the last
 * acknowledgement (at a steady rate it outlives the batch timer and is promoted, so every object
 * per record costs the garbage collector twice). `at` is the receipt time minus the tracker's
 * epoch: a small integer stored in the object, where an epoch millisecond count would be a boxed
 * number of its own.
 */
class Entry implements TrackedEntry, RecordHold {
  pending: number;
  readonly resourceVersion: string | undefined;
  readonly listProgress: ListProgress | undefined;
  readonly bytes: number;
  readonly #at: number;
  readonly #tracker: AckTracker;
  readonly #release: ((bytes: number) => void) | undefined;

  constructor(tracker: AckTracker, at: number, resourceVersion: string | undefined, pending: number, listProgress?: ListProgress, bytes = 0, release?: (bytes: number) => void) {
    this.#tracker = tracker;
    this.#at = at;
    this.resourceVersion = resourceVersion;
    this.pending = pending;
    this.listProgress = listProgress;
    this.bytes = bytes;
    this.#release = release;
  }

  get receivedAt(): number {
    return this.#tracker.epoch + this.#at;
  }

  expect(): void {
    this.pending += 1;
  }

  done(): void {
    if (this.#tracker.ack(this) && this.#release !== undefined) this.#release(this.bytes);
  }
}

/**
 * Orders acknowledgements into a cursor: the committed resourceVersion advances over an
 * entry only when it and every entry before it were acknowledged by all their sinks. Sinks
 * acknowledge out of order (each has its own queue); the cursor never skips a gap.
 */
export class AckTracker {
  /** Receipt times are kept relative to it (see Entry). */
  readonly epoch = Date.now();
  #entries: Entry[] = [];
  #head = 0;
  #committed: string | undefined;
  #listProgress: ListProgress | undefined;
  #waiters: Array<{ below: number; resolve: () => void }> = [];
  #onCommit: ((resourceVersion: string) => void) | undefined;

  constructor(committed?: string, onCommit?: (resourceVersion: string) => void) {
    this.#committed = committed;
    this.#onCommit = onCommit;
  }

  /** The last resourceVersion up to which everything was acknowledged. */
  get committed(): string | undefined {
    return this.#committed;
  }

  /** Progress of a LIST whose acknowledged part ends mid-way (cleared when the list's cursor commits). */
  get listProgress(): ListProgress | undefined {
    return this.#listProgress;
  }

  /** Entries not yet passed by the cursor. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Receipt time of the oldest unacknowledged entry, if any. */
  get oldestPendingAt(): number | undefined {
    return this.#entries[this.#head]?.receivedAt;
  }

  add(resourceVersion: string | undefined, pending: number, now = Date.now(), listProgress?: ListProgress): TrackedEntry {
    const entry = new Entry(this, now - this.epoch, resourceVersion, pending, listProgress);
    this.#entries.push(entry);
    if (pending === 0) this.#advance();
    return entry;
  }

  /**
   * The entry of a record on its way to the sinks, held by the pipeline (pending 1) until it
   * calls `done`; `bytes` go back through `release` when its last acknowledgement came.
   */
  hold(resourceVersion: string | undefined, bytes: number, release: (bytes: number) => void): RecordHold {
    const entry = new Entry(this, Date.now() - this.epoch, resourceVersion, 1, undefined, bytes, release);
    this.#entries.push(entry);
    return entry;
  }

  /**
   * One more acknowledgement for `entry` to wait for (a sink it is about to be queued for, which
   * may acknowledge before the next one is queued: so counted before, not after).
   */
  expect(entry: TrackedEntry): void {
    (entry as Entry).expect();
  }

  /** One acknowledgement of `entry`; returns whether it waits for none any more (the cursor may pass it). */
  ack(entry: TrackedEntry): boolean {
    const e = entry as Entry;
    e.pending -= 1;
    if (e.pending > 0) return false;
    this.#advance();
    return true;
  }

  /** Resolves once fewer than `limit` entries are outstanding. */
  waitBelow(limit: number): Promise<void> {
    if (this.size < limit) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below: limit, resolve }));
  }

  #advance(): void {
    let moved = false;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as Entry;
      if (entry.pending > 0) break;
      this.#head += 1;
      if (entry.resourceVersion !== undefined) {
        this.#committed = entry.resourceVersion;
        this.#listProgress = undefined;
        moved = true;
      } else if (entry.listProgress !== undefined) {
        this.#listProgress = entry.listProgress;
        moved = true;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    if (moved) this.#onCommit?.(this.#committed ?? '');
    if (this.#waiters.length > 0) {
      const size = this.size;
      this.#waiters = this.#waiters.filter((w) => {
        if (size < w.below) {
          w.resolve();
          return false;
        }
        return true;
      });
    }
  }
}
