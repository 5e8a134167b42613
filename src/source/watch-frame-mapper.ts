import { ApiError } from '../kube/kube-client.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { GoneError } from './gone-error.ts';
import { frameIdentity } from './frame-identity.ts';
import type { MalformedInput } from './malformed-input.ts';
import type { LineSink, NdjsonLineReader } from './ndjson-line-reader.ts';
import type { SourceItem } from './source-item.ts';
import { parseWatchFrame } from './watch-frame.ts';

/** What the lines of one chunk of a watch stream came to. */
export interface MappedLines {
  /** To hand to the pipeline, in stream order; undefined when the chunk brought none. */
  items: SourceItem[] | undefined;
  /** The cursor reached once `items` are delivered; undefined when none of them moves it. */
  resourceVersion: string | undefined;
  /** Frames seen, malformed ones included (a stream that brought any is not a silent one). */
  frames: number;
  /**
   * Set when an ERROR frame ended the stream: a {@link GoneError} for 410 (re-list), else an
   * {@link ApiError} (back off; `ResourceVersionTooLarge` is recognised by its message). Lines
   * after it are not read; the items before it are still to be delivered.
   */
  end: Error | undefined;
}

/**
 * Turns the lines of a watch stream into what the source hands on: ADDED/MODIFIED/DELETED into
 * events, BOOKMARK into a cursor, ERROR into the end of the stream. A malformed frame, an event
 * that cannot be normalized or an over-long line is counted and skipped; nothing here throws.
 *
 * It is the line reader's {@link LineSink}: a chunk is read in one pass, each line mapped as the
 * reader finds it, into one result object kept for the mapper's life (read it before the next
 * chunk); only the array of items handed to the pipeline is new per chunk, and only when the
 * chunk brought any.
 */
export class WatchFrameMapper implements LineSink {
  readonly #metrics: Pick<Metrics, 'notification'>;
  readonly #malformed: MalformedInput;
  readonly #out: MappedLines = { items: undefined, resourceVersion: undefined, frames: 0, end: undefined };
  readonly #keepRaw: boolean;

  /**
   * @param keepRaw hand on each event's parsed object as `raw` (a sink prints it: stdout
   *   `classic`). Otherwise the object's graph, dozens of objects per event, is garbage once the
   *   event is normalized, instead of living until the whole chunk is delivered: long enough
   *   for the young generation's collector to copy it, and promote it (bench/README.md).
   */
  constructor(metrics: Pick<Metrics, 'notification'>, malformed: MalformedInput, keepRaw = true) {
    this.#metrics = metrics;
    this.#malformed = malformed;
    this.#keepRaw = keepRaw;
  }

  /** Reads one chunk through `lines`; the result is valid until the next call. */
  read(lines: NdjsonLineReader, chunk: Uint8Array): MappedLines {
    this.#reset();
    lines.push(chunk, this);
    return this.#out;
  }

  #reset(): void {
    const out = this.#out;
    out.items = undefined;
    out.resourceVersion = undefined;
    out.frames = 0;
    out.end = undefined;
  }

  /** {@link LineSink}: one line of the stream. */
  line(line: string): void {
    const out = this.#out;
    // An ERROR frame ends the stream: what follows it in the chunk is not read.
    if (out.end !== undefined) return;
    const text = line.trim();
    if (text === '') return;
    out.frames += 1;
    out.end = this.#frame(text, out);
  }

  /** {@link LineSink}: a line over the limit, skipped up to its newline by the reader. */
  tooLong(bytes: number, head: string): void {
    const out = this.#out;
    if (out.end !== undefined) return;
    out.frames += 1;
    // One hostile line costs neither memory nor a reconnect. Its first bytes name it (namespace,
    // name, uid, resourceVersion), so that an operator can find the event that was dropped.
    this.#malformed.dropped('line-too-long', { bytes, ...frameIdentity(head) }, 'dropping a watch frame longer than the line limit');
  }

  /** Adds what one frame brings to `out`; returns the error that ends the stream, if it is an ERROR frame. */
  #frame(text: string, out: MappedLines): Error | undefined {
    const frame = parseWatchFrame(text);
    switch (frame.type) {
      case 'MALFORMED':
        this.#malformed.report(frame.kind, frame.detail);
        return undefined;
      case 'BOOKMARK':
        this.#metrics.notification('BOOKMARK');
        (out.items ??= []).push({ kind: 'cursor', resourceVersion: frame.resourceVersion });
        out.resourceVersion = frame.resourceVersion;
        return undefined;
      case 'ERROR':
        this.#metrics.notification('ERROR');
        if (frame.code === 410) return new GoneError(frame.message);
        this.#malformed.report(`error-frame-${frame.code || 'unknown'}`, frame.message);
        return new ApiError(frame.code, frame.reason, `watch ERROR frame: ${frame.code} ${frame.reason} ${frame.message}`);
      default: {
        this.#metrics.notification(frame.type);
        const event = this.#malformed.normalize(frame.object);
        if (event === undefined) return undefined;
        const resourceVersion = event.resourceVersion || undefined;
        (out.items ??= []).push({ kind: 'event', notification: frame.type, event, raw: this.#keepRaw ? frame.object : undefined, resourceVersion });
        if (resourceVersion !== undefined) out.resourceVersion = resourceVersion;
        return undefined;
      }
    }
  }
}
