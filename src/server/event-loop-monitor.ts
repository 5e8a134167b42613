import type { Component } from '../component/component.ts';

export interface EventLoopMonitorOptions {
  /** How often the heartbeat timer asks to run. */
  intervalMs?: number;
  /** A heartbeat later than this (beyond its interval) is not on time. */
  maxLagMs?: number;
  /** No heartbeat on time for this long: the event loop is stalled. */
  stallAfterMs?: number;
  now?: () => number;
}

/**
 * The hang detector of the event loop: a heartbeat timer that notes when it last ran on time.
 * A loop that is blocked outright cannot answer the probe at all, and the kubelet's probe
 * timeout says so; this catches the loop that still answers now and then but is starved
 * (a CPU-bound stage, a synchronous call that takes seconds per item): no heartbeat has been on
 * time for `stallAfterMs`. One stall that ended does not count, so a long GC pause is not
 * taken for a hang.
 */
export class EventLoopMonitor implements Component {
  readonly #interval: number;
  readonly #maxLag: number;
  readonly #stallAfter: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastTick: number;
  #lastOnTime: number;
  #lastLagMs = 0;

  constructor(options: EventLoopMonitorOptions = {}) {
    this.#interval = options.intervalMs ?? 1000;
    this.#maxLag = options.maxLagMs ?? 5000;
    this.#stallAfter = options.stallAfterMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#lastTick = this.#now();
    this.#lastOnTime = this.#lastTick;
  }

  async start(): Promise<void> {
    if (this.#timer !== undefined) return;
    this.#lastTick = this.#now();
    this.#lastOnTime = this.#lastTick;
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    // The monitor never keeps the process alive.
    this.#timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = this.#now();
    const lag = Math.max(0, now - this.#lastTick - this.#interval);
    this.#lastTick = now;
    this.#lastLagMs = lag;
    if (lag <= this.#maxLag) this.#lastOnTime = now;
  }

  /** How long no heartbeat ran on time (0 while one still may). */
  get stalledMs(): number {
    if (this.#timer === undefined) return 0;
    const since = this.#now() - this.#lastOnTime;
    return since > this.#interval + this.#maxLag ? since : 0;
  }

  /** False once the event loop has been starved for `stallAfterMs`. */
  get responsive(): boolean {
    return this.stalledMs < this.#stallAfter;
  }

  /** How late the last heartbeat ran (for the probe's body). */
  get lastLagMs(): number {
    return this.#lastLagMs;
  }
}
