import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { AckTracker } from './ack-tracker.ts';
import type { Checkpoint, CheckpointStatus, CheckpointStore } from './checkpoint-store.ts';
import { WriteGuard } from './write-guard.ts';

export interface CheckpointCommitterOptions {
  store: CheckpointStore;
  /** The watched API, recorded in the checkpoint (a checkpoint of another API is not resumed). */
  api: string;
  /** `checkpoint.interval`: 0 writes every move of the cursor (coalesced); otherwise at most once per interval. */
  intervalMs: number;
  metrics: Metrics;
  logger: Logger;
  /** `k8s.cluster.uid` of the cluster the cursor belongs to, recorded in the checkpoint. */
  clusterUid?: string | undefined;
  /** Pause after a failed write, doubling (jittered) up to the maximum while writes keep failing. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A save that has not returned by then counts as failed (a hung filesystem or API call); default {@link SAVE_TIMEOUT_MS}. */
  saveTimeoutMs?: number;
}

/** Default deadline of one checkpoint save (`checkpoint.timeout`), written once: the schema's default too. */
export const SAVE_TIMEOUT_MS = 15_000;

/**
 * Owns the durable cursor: one {@link AckTracker} per watched scope, the store, and the one
 * trigger that writes it — a cursor that moved. With no interval every move is written before
 * the sink that caused it exports again ({@link CheckpointCommitter.settled}), so a crash
 * re-sends at most one batch; with an interval, at most one write per interval.
 */
export class CheckpointCommitter {
  readonly #o: CheckpointCommitterOptions;
  readonly #log: Logger;
  readonly #trackers = new Map<string, AckTracker>();
  /** What the last successful write held (scopes and list progress), to skip identical writes. */
  #saved = '';
  /** The cluster uid the resume point read, when start-up could not. */
  #clusterUid: string | undefined;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastWriteAt = 0;
  #stopped = false;
  readonly #guard: WriteGuard;
  /** A save that passed its deadline and has not returned: no other save starts until it does. */
  #hung: Promise<void> | undefined;
  readonly #lagSource = (): number => this.lagSeconds();

  constructor(options: CheckpointCommitterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'checkpoint' });
    this.#guard = new WriteGuard({ minBackoffMs: options.minBackoffMs, maxBackoffMs: options.maxBackoffMs, logger: this.#log, metrics: options.metrics });
    // Read at every collection, not only after a delivery: in a quiet cluster a record stuck
    // behind a down sink must still show a growing lag.
    options.metrics.checkpointLagSource = this.#lagSource;
  }

  /** Age of the oldest record received but not yet acknowledged by every sink (0 when none waits). */
  lagSeconds(now = Date.now()): number {
    let oldest = now;
    for (const tracker of this.#trackers.values()) oldest = Math.min(oldest, tracker.oldestPendingAt ?? now);
    return (now - oldest) / 1000;
  }

  /** How writing goes, for `/readyz`. */
  get status(): CheckpointStatus {
    return this.#guard.status;
  }

  /** The tracker of one scope, created on first use from its resumed cursor. */
  tracker(scope: string, resumedFrom?: string): AckTracker {
    let tracker = this.#trackers.get(scope);
    if (tracker === undefined) {
      tracker = new AckTracker(resumedFrom, () => this.#moved());
      this.#trackers.set(scope, tracker);
    }
    return tracker;
  }

  /**
   * Marks `checkpoint` as already stored (the one resumed from), so it is not written again.
   * `clusterUid`: the cluster's uid when the resume point had to read it (start-up could not), so
   * that the checkpoints written from now on still name their cluster.
   */
  resumedFrom(checkpoint: Checkpoint | undefined, clusterUid?: string): void {
    this.#saved = key(checkpoint?.scopes ?? {}, checkpoint?.listing);
    if (clusterUid !== undefined) this.#clusterUid = clusterUid;
  }

  /** The committed cursor of every scope. */
  checkpoint(): Checkpoint {
    const scopes: Record<string, string> = {};
    const listing: Record<string, { resourceVersion: string; after: string }> = {};
    for (const [scope, tracker] of this.#trackers) {
      if (tracker.committed !== undefined) scopes[scope] = tracker.committed;
      if (tracker.listProgress !== undefined) listing[scope] = tracker.listProgress;
    }
    const checkpoint: Checkpoint = { version: 1, api: this.#o.api, scopes, updatedAt: new Date().toISOString() };
    const clusterUid = this.#clusterUid ?? this.#o.clusterUid;
    if (clusterUid !== undefined) checkpoint.clusterUid = clusterUid;
    if (Object.keys(listing).length > 0) checkpoint.listing = listing;
    return checkpoint;
  }

  /** Updates the lag metrics of a scope after a delivery; `received` is the source's cursor. */
  observe(scope: string, received: string | undefined): void {
    this.#o.metrics.checkpointLagSeconds.set(this.lagSeconds());
    const committed = this.#trackers.get(scope)?.committed;
    if (received !== undefined && committed !== undefined && /^\d+$/.test(received) && /^\d+$/.test(committed)) {
      this.#o.metrics.checkpointLagResourceVersions.set({ scope: scope || '*' }, Number(received) - Number(committed));
    }
  }

  /**
   * Resolves when the cursor's last move is written (with no interval), at once otherwise.
   * A sink awaits it before its next export.
   */
  settled(): Promise<void> {
    if (this.#o.intervalMs > 0) return Promise.resolve();
    return this.#dirty || this.#writing !== undefined ? this.flush() : Promise.resolve();
  }

  /** Writes the cursor if it moved since the last write; one write at a time. Never throws. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing !== undefined) {
      // One write in flight; the next one, if the cursor moved meanwhile, follows it. Several
      // callers may wait on the same write: the first to wake starts the next write and clears
      // #dirty, so the others must wait for that write too, or they resolve (a shutdown, a sink's
      // settled()) while the newer cursor is not yet stored.
      return this.#writing.then(() => (this.#dirty || this.#writing !== undefined ? this.flush() : undefined));
    }
    this.#dirty = false;
    const writing = this.#write().finally(() => {
      if (this.#writing === writing) this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }

  /** Final write after the sinks drained; no writes after it. */
  async shutdown(): Promise<void> {
    this.#dirty = true;
    this.#guard.expedite();
    await this.flush();
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#o.metrics.checkpointLagSource === this.#lagSource) {
      this.#o.metrics.checkpointLagSource = undefined;
      this.#o.metrics.checkpointLagSeconds.set(0);
    }
  }

  /** The one trigger: a tracker's cursor (or list progress) moved. */
  #moved(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#o.intervalMs === 0) {
      // Coalesce the moves of one tick (a batch's acknowledgements) into one write.
      if (this.#timer === undefined) this.#timer = setTimeout(() => void this.flush(), 0);
      return;
    }
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastWriteAt + this.#o.intervalMs - Date.now());
    this.#timer = setTimeout(() => void this.flush(), wait);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    // No scope yet: the resume point is still being read, and an empty cursor would overwrite it.
    if (this.#trackers.size === 0) return;
    const checkpoint = this.checkpoint();
    const next = key(checkpoint.scopes, checkpoint.listing);
    if (next === this.#saved) return;
    if (!this.#guard.due) return this.#retryLater();
    this.#lastWriteAt = Date.now();
    if (this.#hung !== undefined) {
      // Another save on a hung filesystem would only pile up blocked threads of the libuv pool
      // (four, shared with DNS lookups): wait for the hung one to return first.
      this.#guard.failed(new Error(`an earlier checkpoint save has not returned after ${this.#saveTimeoutMs} ms (hung filesystem or API call?); no new save until it does`), 'timeout');
      return this.#retryLater();
    }
    const timeoutMs = this.#saveTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const save = this.#o.store.save(checkpoint);
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      if ((await Promise.race([save, deadline])) === 'timeout') {
        // The sinks waiting on this write (settled()) go on: the cursor is written again later.
        const hung = save.then(
          () => undefined,
          () => undefined,
        );
        this.#hung = hung;
        void hung.then(() => {
          if (this.#hung === hung) this.#hung = undefined;
        });
        this.#guard.failed(new Error(`checkpoint save did not return within ${timeoutMs} ms (hung filesystem or API call?)`), 'timeout');
        return this.#retryLater();
      }
      this.#saved = next;
      this.#guard.succeeded();
      for (const [scope, rv] of Object.entries(checkpoint.scopes)) {
        if (/^\d+$/.test(rv)) this.#o.metrics.checkpointResourceVersion.set({ scope: scope || '*' }, Number(rv));
      }
    } catch (error) {
      this.#guard.failed(error);
      this.#retryLater();
    } finally {
      clearTimeout(timer);
    }
  }

  get #saveTimeoutMs(): number {
    return this.#o.saveTimeoutMs ?? SAVE_TIMEOUT_MS;
  }

  /** After a failed write: written again once the backoff ends (or at shutdown), not on every move meanwhile. */
  #retryLater(): void {
    this.#dirty = true;
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.flush(), this.#guard.retryInMs);
    this.#timer.unref();
  }
}

function key(scopes: Record<string, string>, listing: Checkpoint['listing']): string {
  return JSON.stringify([scopes, listing]);
}
