import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointCommitter } from '../../src/checkpoint/checkpoint-committer.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/** A store whose saves complete only when the test releases them, one at a time, in order. */
class GatedStore implements CheckpointStore {
  readonly kind = 'gated';
  /** The cursor of the last completed save. */
  stored: string | undefined;
  readonly #pending: Array<{ rv: string | undefined; release: () => void }> = [];
  saves = 0;

  async load(): Promise<Checkpoint | undefined> {
    return undefined;
  }

  save(checkpoint: Checkpoint): Promise<void> {
    this.saves += 1;
    const rv = checkpoint.scopes[''];
    return new Promise((resolve) => {
      this.#pending.push({
        rv,
        release: () => {
          this.stored = rv;
          resolve();
        },
      });
    });
  }

  /** Completes the oldest save in flight. */
  release(): void {
    const next = this.#pending.shift();
    assert.ok(next, 'a save in flight to release');
    next.release();
  }

  get inFlight(): number {
    return this.#pending.length;
  }
}

function committer(store: CheckpointStore, intervalMs: number): CheckpointCommitter {
  return new CheckpointCommitter({ store, api: 'core/v1', intervalMs, metrics: new Metrics(), logger: silentLogger() });
}

function advance(c: CheckpointCommitter, rv: string): void {
  const tracker = c.tracker('');
  tracker.ack(tracker.add(rv, 1));
}

describe('checkpoint committer', () => {
  // Two waiters on one write in flight, the cursor moved meanwhile: when that write ends, the
  // first waiter starts the newer write; the second must wait for it too, not resolve at once.
  it('shutdown resolves only once the last cursor is stored, even when a flush waits on the same write', async () => {
    const store = new GatedStore();
    const c = committer(store, 60_000);
    advance(c, '1040');
    void c.flush(); // the interval timer's write of 1040
    assert.equal(store.inFlight, 1);
    advance(c, '1050'); // acknowledged while 1040 is being written
    void c.flush(); // the interval timer fires again while 1040 is still in flight
    const storedAtShutdown = c.shutdown().then(() => store.stored);
    store.release(); // 1040 lands; the newer write of 1050 follows
    await waitFor(() => store.inFlight === 1 && store.saves === 2, 'the write of 1050');
    store.release();
    assert.equal(await storedAtShutdown, '1050', 'the store holds the last acknowledged cursor when shutdown resolves');
    assert.equal(c.checkpoint().scopes[''], '1050');
  });

  it('settled() of every sink waits for the write that carries its acknowledgements', async () => {
    const store = new GatedStore();
    const c = committer(store, 0);
    advance(c, '1040');
    void c.settled(); // one sink: writes 1040
    assert.equal(store.inFlight, 1);
    advance(c, '1050'); // another sink acknowledges while 1040 is being written
    void c.flush(); // the coalescing timer of that move
    const storedWhenSettled = c.settled().then(() => store.stored);
    store.release();
    await waitFor(() => store.inFlight === 1 && store.saves === 2, 'the write of 1050');
    store.release();
    assert.equal(await storedWhenSettled, '1050', 'the sink exports again only once its acknowledgements are stored');
  });
});
