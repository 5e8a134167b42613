import { MalformedEventError, normalizeEvent } from '../model/normalize.ts';
import type { NormalizedEvent } from '../model/normalized-event.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';

/**
 * What the source does with input it cannot use (a frame that is not JSON, an event without a
 * name, an over-long line): skip it, count it by kind, log it. Bad input is never a crash and
 * never a reconnect.
 */
export class MalformedInput {
  readonly #metrics: Pick<Metrics, 'malformedInput'>;
  readonly #log: Logger;
  readonly #seen = new Set<string>();

  constructor(metrics: Pick<Metrics, 'malformedInput'>, log: Logger) {
    this.#metrics = metrics;
    this.#log = log;
  }

  report(kind: string, detail: unknown): void {
    this.#metrics.malformedInput(kind);
    // Each kind once at warn, later ones at debug, so that a hostile stream cannot flood the logs.
    if (!this.#seen.has(kind)) {
      this.#seen.add(kind);
      this.#log.warn({ kind, detail }, 'skipping malformed input from the API server');
    } else {
      this.#log.debug({ kind, detail }, 'skipping malformed input from the API server');
    }
  }

  /**
   * Counts input dropped as `kind` and logs it at warn every time, with `fields` (what names
   * it) on the log line: unlike a malformed frame, a dropped event is something an operator
   * looks for. Each costs the stream its whole size, so a hostile stream cannot flood the logs.
   */
  dropped(kind: string, fields: Record<string, unknown>, message: string): void {
    this.#metrics.malformedInput(kind);
    this.#log.warn({ kind, ...fields }, message);
  }

  /** The event in its internal shape, or undefined (reported) when it is not a usable Event. */
  normalize(raw: unknown): NormalizedEvent | undefined {
    try {
      return normalizeEvent(raw);
    } catch (error) {
      if (error instanceof MalformedEventError) {
        this.report(error.kind, error.message);
        return undefined;
      }
      throw error;
    }
  }
}
