/**
 * The inactivity watchdog of one watch stream: calls `onIdle` once when the stream has brought
 * nothing for `timeoutMs`. An Event watch bypasses the API server's watch cache and gets no
 * bookmarks to speak of, so a stream cut by a proxy or a stuck server can stay open and silent
 * forever; this is what notices.
 *
 * A chunk only records the time it came ({@link kick}): no timer is armed or re-armed per chunk
 * (`refresh()` per chunk was a measured cost at one event per chunk). One timer checks that time
 * when it comes due, and is armed again for what is left of the timeout, so it fires `timeoutMs`
 * after the last kick, as a timer re-armed on every chunk would. While the pipeline pushes back
 * the watchdog is paused: a stream that is not read is not a dead one. A paused watchdog that
 * comes due only re-arms itself.
 */
export class Watchdog {
  readonly #timeoutMs: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout;
  /** When the stream last brought something (ms since the epoch). */
  #lastKick: number;
  #paused = false;
  #fired = false;
  #stopped = false;

  constructor(timeoutMs: number, onIdle: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onIdle = onIdle;
    this.#lastKick = Date.now();
    this.#timer = setTimeout(this.#due, timeoutMs);
  }

  /** True once it gave up on the stream. */
  get fired(): boolean {
    return this.#fired;
  }

  /** The stream is alive (at `now`, when the caller has read the clock already): the countdown restarts, a pause ends. */
  kick(now = Date.now()): void {
    this.#paused = false;
    this.#lastKick = now;
  }

  /** The stream is not being read (back-pressure): do not count this time as silence. */
  pause(): void {
    this.#paused = true;
  }

  /** The stream ended: the watchdog never fires after this. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  readonly #due = (): void => {
    if (this.#stopped) return;
    if (this.#paused) {
      this.#timer.refresh();
      return;
    }
    const left = this.#lastKick + this.#timeoutMs - Date.now();
    if (left > 0) {
      this.#timer = setTimeout(this.#due, left);
      return;
    }
    this.#fired = true;
    this.#onIdle();
  };
}
