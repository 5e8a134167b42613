import { LoopComponent } from '../component/component.ts';
import { MalformedEventError, normalizeEvent } from '../model/normalize.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { SourceItem } from './source-item.ts';
import type { Deliver, Source } from './source.ts';

export interface DumpSourceOptions {
  /** The objects of a `kubectl get events -o json|yaml` dump (src/cli/read-dump.ts). */
  objects: readonly unknown[];
  deliver: Deliver;
  metrics: Metrics;
  logger: Logger;
  /** Objects handed on per delivery, as a LIST page would (`source.pageSize`). */
  pageSize: number;
}

/**
 * A source that reads an event dump instead of a cluster (`eventrouter replay`): its objects
 * go through the same pipeline as listed ones (occurrence rule, mapping, routes, sinks), a page
 * at a time. Malformed objects are logged and counted, never fatal.
 */
export class DumpSource extends LoopComponent implements Source {
  readonly #o: DumpSourceOptions;
  readonly #log: Logger;
  #accepted = 0;
  #malformed = 0;
  #read = false;

  constructor(options: DumpSourceOptions) {
    super();
    this.#o = options;
    this.#log = options.logger.child({ component: 'source', source: 'dump' });
  }

  protected loopFailed(error: Error): void {
    this.#log.error({ err: error.message }, 'the dump source stopped on an unexpected error');
  }

  /** Objects handed on so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Objects skipped as malformed so far. */
  get malformed(): number {
    return this.#malformed;
  }

  /** Every object of the dump has been handed on. */
  get synced(): boolean {
    return this.#read;
  }

  /** A dump waits on nothing but the pipeline: never idle, never stuck. */
  get idleMs(): number {
    return 0;
  }

  get stalledMs(): number {
    return 0;
  }

  get state(): string {
    return this.#read ? 'done' : 'reading';
  }

  /** A dump has no cursor: every replay reads it whole. */
  get resourceVersion(): undefined {
    return undefined;
  }

  protected async loop(signal: AbortSignal): Promise<void> {
    const pageSize = this.#o.pageSize;
    for (let start = 0; start < this.#o.objects.length && !signal.aborted; start += pageSize) {
      const items: SourceItem[] = [];
      for (const raw of this.#o.objects.slice(start, start + pageSize)) {
        try {
          items.push({ kind: 'event', notification: 'LISTED', event: normalizeEvent(raw), raw, resourceVersion: undefined });
        } catch (error) {
          this.#malformed += 1;
          this.#o.metrics.malformedInput(error instanceof MalformedEventError ? error.kind : 'unknown');
          this.#log.warn({ err: (error as Error).message }, 'skipping malformed object in the dump');
        }
      }
      this.#accepted += items.length;
      if (items.length > 0) await this.#o.deliver(items);
    }
    this.#read = !signal.aborted;
  }
}
