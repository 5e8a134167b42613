import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { ApiError, type KubeClient, toApiError } from '../kube/kube-client.ts';
import { MalformedEventError, lastSeenTime, normalizeEvent } from '../model/normalize.ts';
import type { NormalizedEvent } from '../model/normalized-event.ts';
import { Backoff, sleep } from './backoff.ts';
import { eventsPath } from './events-path.ts';
import { currentResourceVersion } from './current-resource-version.ts';
import { compareResourceVersions, isNewerThan } from './resource-version.ts';
import { isResourceVersionTooLarge } from './too-large.ts';
import { DEFAULT_MAX_LINE_BYTES, NdjsonLineReader } from './ndjson-line-reader.ts';
import type { Source } from './source.ts';
import { parseWatchFrame } from './watch-frame.ts';

/** What the source hands to the pipeline, in stream order. */
export type SourceItem =
  | {
      kind: 'event';
      /** `LISTED` for objects of a (re-)list, where ADDED/MODIFIED cannot be told apart. */
      notification: 'ADDED' | 'MODIFIED' | 'DELETED' | 'LISTED';
      event: NormalizedEvent;
      /** The object as received (not copied). */
      raw: unknown;
      /** The cursor reached once this item is delivered; undefined inside a list. */
      resourceVersion: string | undefined;
    }
  | { kind: 'cursor'; resourceVersion: string }
  /** End of a LIST page: everything up to `after` (by key) of the snapshot at `resourceVersion` was handed on. */
  | { kind: 'list-progress'; resourceVersion: string; after: string };

export interface EventSourceOptions {
  client: KubeClient;
  api: 'core/v1' | 'events.k8s.io/v1';
  /** Empty for all namespaces. */
  namespace: string;
  fieldSelector?: string;
  labelSelector?: string;
  pageSize?: number;
  watchTimeoutMs?: number;
  inactivityTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Resume point from the checkpoint; undefined on a first start. */
  startResourceVersion?: string;
  /** An interrupted first LIST of an earlier run: what it got through is skipped. */
  resumeList?: { resourceVersion: string; after: string };
  /** First start only: skip listed events whose last occurrence is older than this. */
  backfillMaxAgeMs?: number;
  /** Longest watch line (one event) in bytes; longer ones are skipped and counted as malformed. Default 4 MiB. */
  maxLineBytes?: number;
  /** Accepts items; resolves when the pipeline has room again (this is the back-pressure). */
  deliver: (items: SourceItem[]) => Promise<void>;
  metrics: Metrics;
  logger: Logger;
}

/** The API server answered 410: the resourceVersion or continue token is gone. */
class GoneError extends Error {}

/** The inactivity watchdog fired. */
class InactivityError extends Error {}

/**
 * Lists and watches Events in one scope (all namespaces or one): paginated LIST, then WATCH
 * from the list's resourceVersion; resumes from the last resourceVersion when a stream closes;
 * re-lists on 410 and hands on only what is newer than what was already delivered. Holds no
 * copy of the events: one page or one chunk of a stream at a time.
 */
export class EventSource implements Source {
  readonly #o: EventSourceOptions;
  readonly #log: Logger;
  #resourceVersion: string | undefined;
  #resumeList: { resourceVersion: string; after: string } | undefined;
  #synced = false;
  #lastActivity = Date.now();
  #malformedSeen = new Set<string>();

  constructor(options: EventSourceOptions) {
    this.#o = options;
    this.#resourceVersion = options.startResourceVersion;
    this.#resumeList = options.resumeList;
    this.#log = options.logger.child({ component: 'source', namespace: options.namespace || '*' });
  }

  /** The resourceVersion the next watch would start from. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** True once the first list finished or the first watch from a checkpoint was accepted. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Milliseconds since data was last received from the API server. */
  get idleMs(): number {
    return Date.now() - this.#lastActivity;
  }

  #path(): string {
    return eventsPath(this.#o.api, this.#o.namespace);
  }

  #query(params: Record<string, string | undefined>): string {
    const query = new URLSearchParams();
    if (this.#o.fieldSelector) query.set('fieldSelector', this.#o.fieldSelector);
    if (this.#o.labelSelector) query.set('labelSelector', this.#o.labelSelector);
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    return `${this.#path()}?${query.toString()}`;
  }

  /** Runs until `signal` aborts. Never throws for API or stream failures: it backs off and retries. */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#o.minBackoffMs ?? 1000, this.#o.maxBackoffMs ?? 30_000);
    let needList = this.#resourceVersion === undefined;
    let firstStart = this.#resourceVersion === undefined;
    // The cursor is in this cluster's future (etcd restored from a backup, a checkpoint from a
    // rebuilt cluster): a watch from it waits in silence for a revision that may never come.
    const startOver = (reason: 'too-large' | 'ahead-of-cluster', detail: Record<string, unknown>): void => {
      this.#o.metrics.checkpointDiscarded.inc({ reason });
      this.#log.error(
        { resourceVersion: this.#resourceVersion, ...detail },
        'the API server has not reached the watch resourceVersion (etcd restored from a backup?); discarding it and re-listing under source.backfill',
      );
      this.#resourceVersion = undefined;
      this.#resumeList = undefined;
      this.#synced = false;
      needList = true;
      firstStart = true;
    };
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list(signal, firstStart);
          needList = false;
          firstStart = false;
        }
        const received = await this.#watch(signal);
        if (received > 0) backoff.reset();
        if (!signal.aborted) this.#o.metrics.watchRestarts.inc({ cause: 'closed' });
        if (received === 0 && !signal.aborted) {
          const current = await this.#clusterBehindCursor(signal);
          if (current !== undefined) {
            startOver('ahead-of-cluster', { currentResourceVersion: current });
            continue;
          }
          // A stream that closed without delivering anything may mean a server in trouble: pace the reconnects.
          await sleep(backoff.next(), signal);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GoneError) {
          this.#o.metrics.watchRestarts.inc({ cause: 'expired' });
          this.#log.info({ resourceVersion: this.#resourceVersion }, 'resourceVersion expired (410); re-listing');
          needList = true;
          continue;
        }
        if (isResourceVersionTooLarge(error) && this.#resourceVersion !== undefined) {
          startOver('too-large', { err: errorSummary(error) });
          await sleep(backoff.next(), signal);
          continue;
        }
        if (error instanceof InactivityError) {
          this.#o.metrics.watchRestarts.inc({ cause: 'inactivity' });
          const current = await this.#clusterBehindCursor(signal);
          if (current !== undefined) {
            startOver('ahead-of-cluster', { currentResourceVersion: current });
            continue;
          }
          this.#log.warn({ idleMs: this.idleMs }, 'watch stream went silent; reconnecting');
          continue;
        }
        const cause = error instanceof ApiError ? 'http' : 'error';
        this.#o.metrics.watchRestarts.inc({ cause });
        // An overloaded API server says when to come back (429 Retry-After); client-go waits that long too.
        const delay = Math.max(error instanceof ApiError ? (error.retryAfterMs ?? 0) : 0, backoff.next());
        this.#log.warn({ err: errorSummary(error), retryInMs: Math.round(delay) }, 'list/watch failed; backing off');
        await sleep(delay, signal);
      }
    }
  }

  /**
   * After a silent watch: the cluster's current resourceVersion when it is below the cursor
   * (etcd was restored from a backup while the router ran), else undefined. One LIST of one
   * Event; a failed probe counts as "not behind" (the next silent stream asks again).
   */
  async #clusterBehindCursor(signal: AbortSignal): Promise<string | undefined> {
    const cursor = this.#resourceVersion;
    if (cursor === undefined) return undefined;
    try {
      const current = await currentResourceVersion(this.#o.client, this.#o.api, this.#o.namespace, signal);
      return (compareResourceVersions(cursor, current) ?? 0) > 0 ? current : undefined;
    } catch (error) {
      this.#log.debug({ err: errorSummary(error) }, 'cannot read the current resourceVersion');
      return undefined;
    }
  }

  #touch(): void {
    this.#lastActivity = Date.now();
    this.#o.metrics.lastEventSeconds.set(this.#lastActivity / 1000);
  }

  #malformed(kind: string, detail: unknown): void {
    this.#o.metrics.malformedInput(kind);
    // Log each kind once at warn; later ones at debug, so a hostile stream cannot flood the logs.
    if (!this.#malformedSeen.has(kind)) {
      this.#malformedSeen.add(kind);
      this.#log.warn({ kind, detail }, 'skipping malformed input from the API server');
    } else {
      this.#log.debug({ kind, detail }, 'skipping malformed input from the API server');
    }
  }

  #normalize(raw: unknown): NormalizedEvent | undefined {
    try {
      return normalizeEvent(raw);
    } catch (error) {
      if (error instanceof MalformedEventError) {
        this.#malformed(error.kind, error.message);
        return undefined;
      }
      throw error;
    }
  }

  /**
   * One complete paginated LIST. Listed objects are handed on only when newer than the
   * cursor (the checkpoint, or what the last watch delivered); the pipeline's occurrence
   * tracker removes what an interrupted earlier list already handed on.
   */
  async #list(signal: AbortSignal, firstStart: boolean): Promise<void> {
    const cursor = this.#resourceVersion;
    const cutoff =
      firstStart && this.#o.backfillMaxAgeMs !== undefined ? Date.now() - this.#o.backfillMaxAgeMs : undefined;
    let continueToken: string | undefined;
    let listResourceVersion = '';
    let pages = 0;
    let handedOn = 0;
    const tokens = new Set<string>();
    do {
      const response = await this.#o.client.request(
        this.#query({ limit: String(this.#o.pageSize ?? 500), continue: continueToken }),
        { signal },
      );
      if (response.status === 410) {
        await response.body?.cancel();
        // The continue token expired mid-list: start over from the first page.
        throw new GoneError('continue token expired');
      }
      if (!response.ok) throw await toApiError(response);
      const text = await response.text();
      this.#touch();
      let page: { metadata?: { resourceVersion?: string; continue?: string }; items?: unknown[] };
      try {
        page = JSON.parse(text);
      } catch {
        this.#malformed('invalid-list-json', text.slice(0, 200));
        throw new Error('list page is not valid JSON');
      }
      pages += 1;
      if (pages === 1) listResourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
      if (continueToken !== undefined) {
        // A server (or proxy) that hands back a token already followed would make this loop
        // forever without a pause (~900 LISTs/s): treat it as a failed list, which backs off.
        if (tokens.has(continueToken)) {
          this.#malformed('continue-token-repeated', `page ${pages} repeated an earlier continue token`);
          throw new Error(`list pagination loops: page ${pages} repeated an earlier continue token`);
        }
        tokens.add(continueToken);
      }
      const items: SourceItem[] = [];
      const resume = this.#resumeList;
      let lastKey = '';
      for (const raw of Array.isArray(page.items) ? page.items : []) {
        this.#o.metrics.notification('LISTED');
        const event = this.#normalize(raw);
        if (event === undefined) continue;
        lastKey = `${event.namespace}/${event.name}`;
        if (!isNewerThan(event.resourceVersion, cursor)) continue;
        // Already handed on and acknowledged by the interrupted list of an earlier run.
        if (resume !== undefined && lastKey <= resume.after && !isNewerThan(event.resourceVersion, resume.resourceVersion)) continue;
        if (cutoff !== undefined) {
          const seen = Date.parse(lastSeenTime(event) ?? event.creationTimestamp ?? '');
          if (!Number.isNaN(seen) && seen < cutoff) continue;
        }
        items.push({ kind: 'event', notification: 'LISTED', event, raw, resourceVersion: undefined });
      }
      handedOn += items.length;
      if (lastKey !== '' && continueToken !== undefined) {
        items.push({ kind: 'list-progress', resourceVersion: listResourceVersion, after: lastKey });
      }
      if (items.length > 0) await this.#o.deliver(items);
    } while (continueToken !== undefined && !signal.aborted);
    if (signal.aborted) return;
    if (listResourceVersion === '') throw new Error('list response carried no resourceVersion');
    this.#resourceVersion = listResourceVersion;
    this.#resumeList = undefined;
    await this.#o.deliver([{ kind: 'cursor', resourceVersion: listResourceVersion }]);
    this.#synced = true;
    this.#log.info({ pages, handedOn, resourceVersion: listResourceVersion, since: cursor }, 'list complete');
  }

  /** One watch stream from the current resourceVersion; resolves with the number of frames when it ends. */
  async #watch(signal: AbortSignal): Promise<number> {
    const watchTimeoutS = Math.max(1, Math.round((this.#o.watchTimeoutMs ?? 300_000) / 1000));
    // Spread reconnects like client-go's reflector: a random timeout in [T, 2T).
    const timeoutSeconds = String(watchTimeoutS + Math.floor(Math.random() * watchTimeoutS));
    const stream = new AbortController();
    const abortStream = () => stream.abort();
    signal.addEventListener('abort', abortStream, { once: true });
    const inactivityMs = this.#o.inactivityTimeoutMs ?? 180_000;
    let inactive = false;
    // One timer for the stream's life, re-armed with refresh() for every chunk (no new timer per
    // chunk); while the pipeline pushes back it is paused, and a firing then only re-arms it.
    let paused = false;
    const timer: NodeJS.Timeout = setTimeout(() => {
      if (paused) {
        timer.refresh();
        return;
      }
      inactive = true;
      stream.abort();
    }, inactivityMs);
    const arm = () => {
      paused = false;
      timer.refresh();
    };
    const disarm = () => {
      paused = true;
    };
    let frames = 0;
    try {
      const response = await this.#o.client.request(
        this.#query({
          watch: 'true',
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds,
        }),
        { signal: stream.signal, timeoutMs: 0 },
      );
      if (response.status === 410) {
        await response.body?.cancel();
        throw new GoneError('watch answered 410');
      }
      if (!response.ok || response.body === null) throw await toApiError(response);
      this.#synced = true;
      const reader = new NdjsonLineReader({ maxLineBytes: this.#o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
      for await (const chunk of response.body) {
        this.#touch();
        const items: SourceItem[] = [];
        let streamError: unknown;
        for (const line of reader.push(chunk as Uint8Array)) {
          if (line.kind === 'too-long') {
            frames += 1;
            // Skipped up to its newline: one hostile line costs neither memory nor a reconnect.
            this.#malformed('line-too-long', `${line.bytes} bytes in one line`);
            continue;
          }
          const text = line.text.trim();
          if (text === '') continue;
          frames += 1;
          try {
            this.#frame(text, items);
          } catch (error) {
            // An ERROR frame ends the stream, but what came before it in this chunk is still delivered.
            streamError = error;
            break;
          }
        }
        if (items.length > 0) {
          // The watchdog sleeps while the pipeline pushes back: a paused stream is not a dead one.
          disarm();
          await this.#o.deliver(items);
          // Only what the pipeline accepted moves the resume point: a failed delivery is re-read.
          for (let i = items.length - 1; i >= 0; i--) {
            const rv = items[i]?.resourceVersion;
            if (rv !== undefined) {
              this.#resourceVersion = rv;
              break;
            }
          }
          arm();
        }
        if (streamError !== undefined) throw streamError;
      }
      return frames;
    } catch (error) {
      if (inactive) throw new InactivityError('inactivity');
      if (signal.aborted) return frames;
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abortStream);
      stream.abort();
    }
  }

  #frame(line: string, items: SourceItem[]): void {
    const frame = parseWatchFrame(line);
    switch (frame.type) {
      case 'MALFORMED':
        this.#malformed(frame.kind, frame.detail);
        return;
      case 'BOOKMARK':
        this.#o.metrics.notification('BOOKMARK');
        items.push({ kind: 'cursor', resourceVersion: frame.resourceVersion });
        return;
      case 'ERROR':
        this.#o.metrics.notification('ERROR');
        if (frame.code === 410) throw new GoneError(frame.message);
        this.#malformed(`error-frame-${frame.code || 'unknown'}`, frame.message);
        throw new ApiError(frame.code, frame.reason, `watch ERROR frame: ${frame.code} ${frame.reason} ${frame.message}`);
      default: {
        this.#o.metrics.notification(frame.type);
        const event = this.#normalize(frame.object);
        if (event === undefined) return;
        items.push({ kind: 'event', notification: frame.type, event, raw: frame.object, resourceVersion: event.resourceVersion || undefined });
      }
    }
  }
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
