import { LoopComponent } from '../component/component.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { ApiError, type KubeClient, type ResponseBody, toApiError } from '../kube/kube-client.ts';
import { lastSeenTime } from '../model/normalize.ts';
import { parseTimeMillis } from '../model/time.ts';
import { Backoff } from './backoff.ts';
import { sleep } from '../util/sleep.ts';
import type { SourceConfig } from './config.ts';
import { eventsPath } from './events-path.ts';
import { currentResourceVersion } from './current-resource-version.ts';
import { GoneError } from './gone-error.ts';
import { type ListPage, MAX_LIST_PAGE_BYTES, readListPage } from './list-page.ts';
import { MalformedInput } from './malformed-input.ts';
import { NdjsonLineReader } from './ndjson-line-reader.ts';
import { compareResourceVersions, isNewerThan } from './resource-version.ts';
import type { Deliver, Source } from './source.ts';
import type { SourceItem } from './source-item.ts';
import { isResourceVersionInvalid } from './invalid-resource-version.ts';
import { isResourceVersionTooLarge } from './too-large.ts';
import { WatchFrameMapper } from './watch-frame-mapper.ts';
import { Watchdog } from './watchdog.ts';

/** The settings of `source` the watch source reads, as the schema outputs them: defaults applied, durations in ms. */
export type EventSourceSettings = Pick<
  SourceConfig,
  | 'api'
  | 'fieldSelector'
  | 'labelSelector'
  | 'backfill'
  | 'pageSize'
  | 'watchTimeout'
  | 'inactivityTimeout'
  | 'minBackoff'
  | 'maxBackoff'
  | 'watchCoalesce'
>;

/**
 * A watch read of this size or more is a flowing stream: read on at once. A smaller one waits
 * `source.watchCoalesce` when nothing more is waiting to be read (over TLS each chunk is one
 * record of at most 16 KiB, so its size alone cannot tell a backlog; the body's `coalesce`
 * checks). At a steady 1,000 events/s the API server writes each event as its own chunk;
 * handling them one wake-up each cost ~35 µs per event more than in chunks of 20
 * (bench/README.md, "Wake-ups per event").
 */
const TRICKLE_BYTES = 16 * 1024;

export interface EventSourceOptions {
  client: KubeClient;
  settings: EventSourceSettings;
  /** Empty for all namespaces. */
  namespace: string;
  /** Resume point from the checkpoint; undefined on a first start. */
  startResourceVersion?: string;
  /** An interrupted first LIST of an earlier run: what it got through is skipped. */
  resumeList?: { resourceVersion: string; after: string };
  /** Accepts items; resolves when the pipeline has room again (this is the back-pressure). */
  deliver: Deliver;
  /** Hand on each watched event's object as received (`raw`): only a sink that prints it needs it (default true). */
  keepRaw?: boolean;
  metrics: Metrics;
  logger: Logger;
}

/** Pages in a row with no items but a continue token that make a LIST fail (and back off). */
const MAX_EMPTY_PAGES = 5;
/** A LIST page or a one-Event probe must answer within this (the kube client's default request timeout). */
const REQUEST_MS = 30_000;

/** What the watch loop is doing, for the liveness probe. */
export type WatchLoopState = 'starting' | 'listing' | 'watching' | 'waiting-for-room' | 'backing-off' | 'stopped' | 'failed';

/** The inactivity watchdog fired. */
class InactivityError extends Error {}

/**
 * Lists and watches Events in one scope (all namespaces or one): paginated LIST, then WATCH
 * from the list's resourceVersion; resumes from the last resourceVersion when a stream closes;
 * re-lists on 410 and hands on only what is newer than what was already delivered. Holds no
 * copy of the events: one page or one chunk of a stream at a time.
 */
export class EventSource extends LoopComponent implements Source {
  readonly #o: EventSourceOptions;
  readonly #settings: EventSourceSettings;
  readonly #log: Logger;
  readonly #malformed: MalformedInput;
  readonly #frames: WatchFrameMapper;
  #resourceVersion: string | undefined;
  #resumeList: { resourceVersion: string; after: string } | undefined;
  #synced = false;
  #lastActivity = Date.now();
  /** Items (events, bookmarks) the current or last watch stream brought; 0 again when a list starts. */
  #watchItems = 0;
  #state: WatchLoopState = 'starting';
  /** By when the loop must have moved on from its current step (its heartbeat), epoch ms. */
  #dueBy: number;
  /** Slack on each step's own bound before the loop counts as stuck. */
  readonly #grace: number;

  constructor(options: EventSourceOptions) {
    super();
    this.#o = options;
    this.#settings = options.settings;
    this.#resourceVersion = options.startResourceVersion;
    this.#resumeList = options.resumeList;
    this.#log = options.logger.child({ component: 'source', namespace: options.namespace || '*' });
    this.#malformed = new MalformedInput(options.metrics, this.#log);
    this.#frames = new WatchFrameMapper(options.metrics, this.#malformed, options.keepRaw ?? true);
    this.#grace = Math.min(this.#settings.inactivityTimeout, 60_000);
    this.#dueBy = Date.now() + REQUEST_MS + this.#grace;
  }

  protected loopFailed(error: Error): void {
    // A loop that ended by itself reads nothing any more: a hang that a restart fixes.
    this.#state = 'failed';
    this.#dueBy = Date.now();
    this.#log.error({ err: error.message }, 'the source stopped on an unexpected error');
  }

  /**
   * The watch loop's heartbeat: it enters `state`, which by its own bound (a request timeout,
   * the inactivity watchdog, a backoff delay) ends within `withinMs`.
   */
  #beat(state: WatchLoopState, withinMs: number, now = Date.now()): void {
    this.#state = state;
    this.#dueBy = now + withinMs + this.#grace;
  }

  /**
   * How long the watch loop has been stuck: past the bound of the step it is in. Never while it
   * waits for room in the pipeline (a sink outage is not a hang, and a restart would not fix it),
   * whatever the cluster sends or does not send: a quiet watch ends by the watchdog or by the
   * server's timeoutSeconds, and the loop moves on.
   */
  get stalledMs(): number {
    if (this.#state === 'waiting-for-room' || this.#state === 'stopped') return 0;
    return Math.max(0, Date.now() - this.#dueBy);
  }

  /** What the watch loop is doing now. */
  get state(): WatchLoopState {
    return this.#state;
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
    return eventsPath(this.#settings.api, this.#o.namespace);
  }

  #query(params: Record<string, string | undefined>): string {
    const query = new URLSearchParams();
    if (this.#settings.fieldSelector) query.set('fieldSelector', this.#settings.fieldSelector);
    if (this.#settings.labelSelector) query.set('labelSelector', this.#settings.labelSelector);
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    return `${this.#path()}?${query.toString()}`;
  }

  /** Runs until `signal` aborts. Never throws for API or stream failures: it backs off and retries. */
  protected async loop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#settings.minBackoff, this.#settings.maxBackoff);
    let needList = this.#resourceVersion === undefined;
    let firstStart = this.#resourceVersion === undefined;
    // The cursor is in this cluster's future (etcd restored from a backup, a checkpoint from a
    // rebuilt cluster): a watch from it waits in silence for a revision that may never come.
    // Or it is no resourceVersion at all: every watch from it is refused.
    const startOver = (reason: 'too-large' | 'ahead-of-cluster' | 'invalid', detail: Record<string, unknown>): void => {
      this.#o.metrics.checkpointDiscarded.inc({ reason });
      this.#log.error(
        { resourceVersion: this.#resourceVersion, ...detail },
        reason === 'invalid'
          ? 'the API server refuses the watch resourceVersion as invalid; discarding it and re-listing under source.backfill'
          : 'the API server has not reached the watch resourceVersion (etcd restored from a backup?); discarding it and re-listing under source.backfill',
      );
      this.#resourceVersion = undefined;
      this.#resumeList = undefined;
      this.#synced = false;
      needList = true;
      firstStart = true;
    };
    // 410s since a watch last brought anything (see the GoneError branch).
    let expiredInARow = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list(signal, firstStart);
          needList = false;
          firstStart = false;
        }
        const cursorBefore = this.#resourceVersion;
        await this.#watch(signal);
        // Progress is a cursor that moved. Frames that were all malformed, or a bookmark where the
        // cursor already was, are none: a server that answers every watch with one such line and
        // closes it made ~10,000 reconnects a second when any frame counted.
        const progressed = this.#resourceVersion !== cursorBefore;
        if (progressed) backoff.reset();
        if (this.#watchItems > 0) expiredInARow = 0;
        if (!signal.aborted) this.#o.metrics.watchRestarts.inc({ cause: 'closed' });
        if (!progressed && !signal.aborted) {
          const current = await this.#clusterBehindCursor(signal);
          if (current !== undefined) {
            startOver('ahead-of-cluster', { currentResourceVersion: current });
            continue;
          }
          // A stream that closed without delivering anything may mean a server in trouble: pace the reconnects.
          await this.#backOff(backoff.next(), signal);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GoneError) {
          this.#o.metrics.watchRestarts.inc({ cause: 'expired' });
          needList = true;
          expiredInARow = this.#watchItems > 0 ? 1 : expiredInARow + 1;
          // A cursor expires now and then (etcd compacts every 5 minutes): re-list at once. A 410
          // again before any watch brought anything means a server (or proxy) that answers 410
          // to every watch: without a pause, that was hundreds of full LISTs a second.
          if (expiredInARow === 1) {
            this.#log.info({ resourceVersion: this.#resourceVersion }, 'resourceVersion expired (410); re-listing');
            continue;
          }
          const delay = backoff.next();
          this.#log.warn({ resourceVersion: this.#resourceVersion, expiredInARow, retryInMs: Math.round(delay) }, 'the watch expired (410) again right after a re-list; backing off');
          await this.#backOff(delay, signal);
          continue;
        }
        if (isResourceVersionTooLarge(error) && this.#resourceVersion !== undefined) {
          startOver('too-large', { err: errorSummary(error) });
          await this.#backOff(backoff.next(), signal);
          continue;
        }
        if (isResourceVersionInvalid(error) && this.#resourceVersion !== undefined) {
          startOver('invalid', { err: errorSummary(error) });
          await this.#backOff(backoff.next(), signal);
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
        await this.#backOff(delay, signal);
      }
    }
    // Stopped on purpose (shutdown, end of a term): not a hang, however long the drain takes.
    this.#state = 'stopped';
  }

  #backOff(delay: number, signal: AbortSignal): Promise<void> {
    this.#beat('backing-off', delay);
    return sleep(delay, signal);
  }

  /**
   * After a silent watch: the cluster's current resourceVersion when it is below the cursor
   * (etcd was restored from a backup while the router ran), else undefined. One LIST of one
   * Event; a failed probe counts as "not behind" (the next silent stream asks again).
   */
  async #clusterBehindCursor(signal: AbortSignal): Promise<string | undefined> {
    const cursor = this.#resourceVersion;
    if (cursor === undefined) return undefined;
    this.#beat('listing', REQUEST_MS);
    try {
      const current = await currentResourceVersion(this.#o.client, this.#settings.api, this.#o.namespace, signal);
      return (compareResourceVersions(cursor, current) ?? 0) > 0 ? current : undefined;
    } catch (error) {
      this.#log.debug({ err: errorSummary(error) }, 'cannot read the current resourceVersion');
      return undefined;
    }
  }

  /** Data came from the API server: returns the time, read once for the source, its heartbeat and its watchdog. */
  #touch(): number {
    const now = Date.now();
    this.#lastActivity = now;
    this.#beat(this.#state === 'listing' ? 'listing' : 'watching', this.#state === 'listing' ? REQUEST_MS : this.#settings.inactivityTimeout, now);
    this.#o.metrics.lastEventSeconds.set(now / 1000);
    return now;
  }

  /**
   * One complete paginated LIST. Listed objects are handed on only when newer than the
   * cursor (the checkpoint, or what the last watch delivered); the pipeline's occurrence
   * tracker removes what an interrupted earlier list already handed on.
   */
  async #list(signal: AbortSignal, firstStart: boolean): Promise<void> {
    const cursor = this.#resourceVersion;
    this.#watchItems = 0;
    // First start only: skip listed events whose last occurrence is older than `backfill`.
    const { backfill } = this.#settings;
    const cutoff = firstStart && backfill !== 'all' ? Date.now() - backfill : undefined;
    let emptyPagesInARow = 0;
    let continueToken: string | undefined;
    let listResourceVersion = '';
    let pages = 0;
    let handedOn = 0;
    const tokens = new Set<string>();
    // Pages of large events are asked for in fewer objects (see MAX_LIST_PAGE_BYTES), for the rest of this list.
    let limit = this.#settings.pageSize;
    do {
      let page: ListPage;
      for (;;) {
        this.#beat('listing', REQUEST_MS);
        const response = await this.#o.client.request(this.#query({ limit: String(limit), continue: continueToken }), { signal });
        if (response.status === 410) {
          await response.body?.cancel();
          // The continue token expired mid-list: start over from the first page.
          throw new GoneError('continue token expired');
        }
        if (!response.ok) throw await toApiError(response);
        const read = await readListPage(response);
        this.#touch();
        if (read.kind === 'page') {
          page = read.page;
          break;
        }
        if (read.kind === 'invalid') {
          this.#malformed.report('invalid-list-json', read.head);
          throw new Error('list page is not valid JSON');
        }
        this.#malformed.report('list-page-too-large', { bytes: read.bytes, limit, maxBytes: MAX_LIST_PAGE_BYTES });
        if (limit === 1) throw new Error(`a LIST page of one object is over ${MAX_LIST_PAGE_BYTES} bytes`);
        limit = Math.max(1, Math.floor(limit / 2));
      }
      pages += 1;
      if (pages === 1) listResourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
      if (continueToken !== undefined) {
        // A server (or proxy) that hands back a token already followed would make this loop
        // forever without a pause (~900 LISTs/s): treat it as a failed list, which backs off.
        if (tokens.has(continueToken)) {
          this.#malformed.report('continue-token-repeated', `page ${pages} repeated an earlier continue token`);
          throw new Error(`list pagination loops: page ${pages} repeated an earlier continue token`);
        }
        tokens.add(continueToken);
        // So would one that hands out a new token with no items, forever: etcd fills every page
        // but the last, so a few empty pages in a row with more to follow is no list.
        emptyPagesInARow = Array.isArray(page.items) && page.items.length > 0 ? 0 : emptyPagesInARow + 1;
        if (emptyPagesInARow >= MAX_EMPTY_PAGES) {
          this.#malformed.report('continue-without-items', `${emptyPagesInARow} pages in a row with no items and a continue token`);
          throw new Error(`list pagination brings nothing: ${emptyPagesInARow} pages in a row with no items and a continue token`);
        }
      }
      const items: SourceItem[] = [];
      const resume = this.#resumeList;
      let lastKey = '';
      for (const raw of Array.isArray(page.items) ? page.items : []) {
        this.#o.metrics.notification('LISTED');
        const event = this.#malformed.normalize(raw);
        if (event === undefined) continue;
        lastKey = `${event.namespace}/${event.name}`;
        if (!isNewerThan(event.resourceVersion, cursor)) continue;
        // Already handed on and acknowledged by the interrupted list of an earlier run.
        if (resume !== undefined && lastKey <= resume.after && !isNewerThan(event.resourceVersion, resume.resourceVersion)) continue;
        if (cutoff !== undefined) {
          const seen = parseTimeMillis(lastSeenTime(event) ?? event.creationTimestamp);
          if (!Number.isNaN(seen) && seen < cutoff) continue;
        }
        items.push({ kind: 'event', notification: 'LISTED', event, raw, resourceVersion: undefined });
      }
      handedOn += items.length;
      if (lastKey !== '' && continueToken !== undefined) {
        items.push({ kind: 'list-progress', resourceVersion: listResourceVersion, after: lastKey });
      }
      if (items.length > 0) await this.#deliver(items, 'listing', REQUEST_MS);
    } while (continueToken !== undefined && !signal.aborted);
    if (signal.aborted) return;
    if (listResourceVersion === '') throw new Error('list response carried no resourceVersion');
    this.#resourceVersion = listResourceVersion;
    this.#resumeList = undefined;
    await this.#deliver([{ kind: 'cursor', resourceVersion: listResourceVersion }], 'listing', REQUEST_MS);
    this.#synced = true;
    this.#log.info({ pages, handedOn, resourceVersion: listResourceVersion, since: cursor }, 'list complete');
  }

  /**
   * One watch stream from the current resourceVersion; resolves with the number of frames it
   * brought when it ends. Open the stream, split it into lines, map the lines to items, hand
   * them on, and only then move the cursor: what the pipeline did not accept is read again.
   */
  async #watch(signal: AbortSignal): Promise<number> {
    // Stopped while the list handed its last page on: its abort event has passed, so a stream
    // opened now would not be aborted and would keep shutdown() waiting until the server ends it.
    if (signal.aborted) return 0;
    const stream = new AbortController();
    const abortStream = () => stream.abort();
    signal.addEventListener('abort', abortStream, { once: true });
    const watchdog = new Watchdog(this.#settings.inactivityTimeout, abortStream);
    let frames = 0;
    const coalesce = this.#settings.watchCoalesce;
    this.#watchItems = 0;
    // The watchdog bounds the request too: it aborts a watch that never answers.
    this.#beat('watching', this.#settings.inactivityTimeout);
    try {
      const body = await this.#openWatch(stream.signal);
      const lines = new NdjsonLineReader();
      // Per chunk: one pass of the reader and the mapper, one clock reading, and a wait only
      // when the pipeline has no room (no promise, closure or timer otherwise).
      for await (const chunk of body) {
        watchdog.kick(this.#touch());
        const mapped = this.#frames.read(lines, chunk);
        frames += mapped.frames;
        const { items, resourceVersion, end } = mapped;
        this.#watchItems += items?.length ?? 0;
        if (items !== undefined) {
          const waiting = this.#deliver(items, 'watching', this.#settings.inactivityTimeout);
          if (waiting !== undefined) {
            // The watchdog sleeps while the pipeline pushes back: a paused stream is not a dead one.
            watchdog.pause();
            await waiting;
            watchdog.kick();
          }
          if (resourceVersion !== undefined) this.#resourceVersion = resourceVersion;
        }
        // An ERROR frame ends the stream, after what came before it in the chunk was delivered.
        if (end !== undefined) throw end;
        // What arrives meanwhile waits in the kernel (the socket is not read): the next read
        // takes it all as one chunk. Not reading by choice is not silence (the watchdog sleeps);
        // aborting the stream ends the wait.
        if (coalesce > 0 && chunk.length < TRICKLE_BYTES) {
          // The liveness bound of this step covers the wait, however short the inactivity timeout.
          this.#beat('watching', this.#settings.inactivityTimeout + coalesce);
          watchdog.pause();
          await body.coalesce(coalesce, stream.signal);
          watchdog.kick();
        }
      }
      return frames;
    } catch (error) {
      if (watchdog.fired) throw new InactivityError('inactivity');
      if (signal.aborted) return frames;
      throw error;
    } finally {
      watchdog.stop();
      signal.removeEventListener('abort', abortStream);
      stream.abort();
    }
  }

  /**
   * Hands items on. Only when the pipeline must wait is the loop's step "waiting for room" (no
   * hang: see {@link stalledMs}) until the delivery resolves; nothing to wait for: undefined.
   */
  #deliver(items: SourceItem[], then: WatchLoopState, withinMs: number): Promise<void> | undefined {
    const waiting = this.#o.deliver(items);
    if (waiting === undefined) return undefined;
    this.#beat('waiting-for-room', 0);
    return waiting.then(() => this.#beat(then, withinMs));
  }

  /** Sends the WATCH request; its body is the stream. A 410 answer is a {@link GoneError}. */
  async #openWatch(signal: AbortSignal): Promise<ResponseBody> {
    const watchTimeoutS = Math.max(1, Math.round(this.#settings.watchTimeout / 1000));
    // Spread reconnects like client-go's reflector: a random timeout in [T, 2T).
    const timeoutSeconds = String(watchTimeoutS + Math.floor(Math.random() * watchTimeoutS));
    const response = await this.#o.client.request(
      this.#query({ watch: 'true', resourceVersion: this.#resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds }),
      { signal, timeoutMs: 0 },
    );
    if (response.status === 410) {
      await response.body?.cancel();
      throw new GoneError('watch answered 410');
    }
    if (!response.ok || response.body === null) throw await toApiError(response);
    this.#synced = true;
    return response.body;
  }
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
