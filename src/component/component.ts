/**
 * The one lifecycle of every part of a running router (the Collector's `component.Component`):
 * the source, the enricher, the leader elector, each sink and the HTTP server.
 *
 * - `start()` resolves once the component does its work (a server listens, a source reads in
 *   the background); it is called once.
 * - `shutdown()` stops it and releases what it holds. It may be called before `start()` and more
 *   than once, resolves when the component is stopped, and never rejects: a component that cannot
 *   stop cleanly logs why.
 *
 * Components are started in reverse pipeline order (each has somewhere to send to before it
 * starts producing) and shut down in pipeline order (nothing new arrives at a stage that drains).
 */
export interface Component {
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts `components` one after another, in the order given. When one fails, those already
 * started are shut down (last started first) and the error propagates: a half-started router
 * holds nothing.
 */
export async function startAll(components: readonly Component[]): Promise<void> {
  const started: Component[] = [];
  for (const component of components) {
    try {
      await component.start();
    } catch (error) {
      await shutdownAll(started.reverse());
      throw error;
    }
    started.push(component);
  }
}

/** Shuts `components` down one after another, in the order given; each is stopped even if an earlier one misbehaves. */
export async function shutdownAll(components: readonly Component[]): Promise<void> {
  for (const component of components) {
    // The contract says shutdown() never rejects; a component that breaks it must not keep the next from stopping.
    await component.shutdown().catch(() => undefined);
  }
}

/**
 * A component whose work is one long-running loop (a watch, a lease campaign, reading a dump):
 * `start()` launches {@link loop} with a signal that `shutdown()` aborts, then waits for it.
 * Idempotent both ways; a shutdown before start never launches it; `done` resolves when the
 * loop has ended (after shutdown, or by itself).
 */
export abstract class LoopComponent implements Component {
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  /** The work, until `signal` aborts or it ends by itself. */
  protected abstract loop(signal: AbortSignal): Promise<void>;

  /** Told when the loop throws, which it should not: the component is then done. */
  protected abstract loopFailed(error: Error): void;

  get done(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  start(): Promise<void> {
    if (this.#running === undefined && !this.#abort.signal.aborted) {
      this.#running = this.loop(this.#abort.signal).catch((error: unknown) => this.loopFailed(error instanceof Error ? error : new Error(String(error))));
    }
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }
}
