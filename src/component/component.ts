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
 * The start/shutdown of a component whose work is one long-running loop (a watch, a lease
 * campaign): `start()` launches `loop` with a signal that `shutdown()` aborts, then waits for it.
 * Idempotent both ways; a shutdown before start never launches it.
 */
export class BackgroundLoop {
  readonly #abort = new AbortController();
  readonly #loop: (signal: AbortSignal) => Promise<void>;
  readonly #onError: (error: Error) => void;
  #running: Promise<void> | undefined;

  constructor(loop: (signal: AbortSignal) => Promise<void>, onError: (error: Error) => void) {
    this.#loop = loop;
    this.#onError = onError;
  }

  /** Resolves when the loop has ended (after shutdown, or by itself); immediately when never started. */
  get done(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  start(): Promise<void> {
    if (this.#running === undefined && !this.#abort.signal.aborted) {
      this.#running = this.#loop(this.#abort.signal).catch((error: unknown) => this.#onError(error instanceof Error ? error : new Error(String(error))));
    }
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }
}
