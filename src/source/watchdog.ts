/**
 * The inactivity watchdog of one watch stream: calls `onIdle` once when the stream has brought
 * nothing for `timeoutMs`. An Event watch bypasses the API server's watch cache and gets no
 * bookmarks to speak of, so a stream cut by a proxy or a stuck server can stay open and silent
 * forever; this is what notices.
 *
 * One timer for the stream's life, re-armed with `refresh()` on every {@link kick}: a chunk costs
 * no timer allocation (a measured hot-path fix). While the pipeline pushes back the watchdog is
 * paused: a stream that is not read is not a dead one. A paused watchdog that comes due only
 * re-arms itself.
 */
export class Watchdog {
  readonly #timer: NodeJS.Timeout;
  #paused = false;
  #fired = false;

  constructor(timeoutMs: number, onIdle: () => void) {
    this.#timer = setTimeout(() => {
      if (this.#paused) {
        this.#timer.refresh();
        return;
      }
      this.#fired = true;
      onIdle();
    }, timeoutMs);
  }

  /** True once it gave up on the stream. */
  get fired(): boolean {
    return this.#fired;
  }

  /** The stream is alive: restart the countdown (and end a pause). */
  kick(): void {
    this.#paused = false;
    this.#timer.refresh();
  }

  /** The stream is not being read (back-pressure): do not count this time as silence. */
  pause(): void {
    this.#paused = true;
  }

  /** The stream ended: the watchdog never fires after this. */
  stop(): void {
    clearTimeout(this.#timer);
  }
}
