import type { StoppedLeading } from './lease-elector.ts';

/** What one leadership term runs (the router): started when the term begins, drained when it ends. */
export interface TermWork {
  start(): Promise<void>;
  /** Stops reading, drains within `deadlineMs` (sooner once `cut` aborts), writes the checkpoint. */
  stop(deadlineMs: number, cut: AbortSignal): Promise<{ drained: boolean }>;
}

export interface LeaderTermsOptions<W extends TermWork> {
  /** Builds the work of a new term (a fresh router resumes from the shared checkpoint). */
  begin: () => W;
  /** Told when exporting starts and stops (the leader gauge). */
  onLeading: (leading: boolean) => void;
}

/**
 * The leadership terms of one process, started and ended in order. A shutdown drains the
 * current term while the elector goes on renewing the lease (the caller releases it after),
 * so a standby cannot take over and re-send what is still being drained. If the lease is lost
 * meanwhile, the drain is cut at the grace the elector gives: exporting must stop before a
 * standby may start.
 */
export class LeaderTerms<W extends TermWork> {
  readonly #o: LeaderTermsOptions<W>;
  #work: W | undefined;
  /** The work of the term being drained (this process still exports, the lease is still renewed). */
  #draining: W | undefined;
  #cut: AbortController | undefined;
  #cutTimer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: LeaderTermsOptions<W>) {
    this.#o = options;
  }

  /** The work of the current term; undefined on standby and once a drain has begun. */
  get current(): W | undefined {
    return this.#work;
  }

  /** The work of a term that ended and is draining; undefined otherwise. */
  get draining(): W | undefined {
    return this.#draining;
  }

  /** The elector's onStartedLeading. */
  started(): Promise<void> {
    return this.#serial(async () => {
      // Shutting down: a term begun now would only be drained again at once.
      if (this.#closed) return;
      this.#work = this.#o.begin();
      this.#cut = new AbortController();
      this.#o.onLeading(true);
      await this.#work.start();
    });
  }

  /** The elector's onStoppedLeading: ends the term within `graceMs`, and cuts a drain in progress to it. */
  stopped(stopped: StoppedLeading): Promise<void> {
    const cut = this.#cut;
    if (cut && !cut.signal.aborted) {
      clearTimeout(this.#cutTimer);
      this.#cutTimer = setTimeout(() => cut.abort(), stopped.graceMs);
    }
    return this.#serial(async () => void (await this.#end(stopped.graceMs)));
  }

  /**
   * Shutdown: no new term starts; the current one drains within `deadlineMs` (the elector must
   * go on renewing meanwhile). Resolves with whether every sink drained.
   */
  async shutdown(deadlineMs: number): Promise<boolean> {
    this.#closed = true;
    let drained = true;
    await this.#serial(async () => {
      drained = await this.#end(deadlineMs);
    });
    return drained;
  }

  async #end(deadlineMs: number): Promise<boolean> {
    const work = this.#work;
    const cut = this.#cut;
    if (work === undefined || cut === undefined) return true;
    this.#work = undefined;
    this.#draining = work;
    this.#o.onLeading(false);
    try {
      return (await work.stop(deadlineMs, cut.signal)).drained;
    } finally {
      this.#draining = undefined;
      clearTimeout(this.#cutTimer);
      this.#cut = undefined;
    }
  }

  /** Runs `step` after every earlier one; a failed step does not stop later ones. */
  #serial(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(step);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
