/** One result of {@link NdjsonLineReader}: a complete line, or the size of a line that was skipped. */
export type NdjsonItem = { kind: 'line'; text: string } | { kind: 'too-long'; bytes: number };

/** etcd refuses objects above 1.5 MiB; a line of a watch stream is one object plus its frame. */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;
/** Pieces of one line kept apart at most before they are joined. */
const MERGE_PIECES = 256;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into newline-delimited lines. Appending decoded chunks to a string and
 * searching it from the start costs quadratic CPU on a line that arrives in many chunks (a 4 MiB
 * event in 1 KiB chunks took ~4 s and 328 MB); this keeps the chunks as bytes, scans each byte
 * once, and decodes a line only when its newline arrives, so a multibyte character split across
 * chunks decodes whole. A line longer than `maxLineBytes` is not buffered: its bytes are counted
 * and dropped up to the next newline, and it comes back as `too-long`, so that one hostile line
 * costs neither memory nor a reconnect loop.
 */
export class NdjsonLineReader {
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder('utf-8');
  /** The incomplete line so far (copies: the caller may reuse its chunks). */
  #parts: Uint8Array[] = [];
  /** Pieces appended since the last merge into one (see #append). */
  #unmerged = 0;
  #bytes = 0;
  /** Set while dropping an over-long line up to its newline. */
  #skipping = false;

  constructor(options: { maxLineBytes?: number } = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Bytes held for the incomplete line (0 while skipping an over-long one). */
  get bufferedBytes(): number {
    return this.#skipping ? 0 : this.#bytes;
  }

  /** Takes the next chunk; returns the lines it completed, in order. Empty lines are left out. */
  push(chunk: Uint8Array): NdjsonItem[] {
    const items: NdjsonItem[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        if (start < chunk.length) this.#append(chunk.subarray(start), true);
        return items;
      }
      this.#append(chunk.subarray(start, newline), false);
      this.#finish(items);
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline, if any. */
  end(): NdjsonItem[] {
    const items: NdjsonItem[] = [];
    if (this.#bytes > 0 || this.#skipping) this.#finish(items);
    return items;
  }

  #append(piece: Uint8Array, keep: boolean): void {
    if (piece.length === 0) return;
    this.#bytes += piece.length;
    if (this.#skipping) return;
    if (this.#bytes > this.#maxLineBytes) {
      this.#skipping = true;
      this.#parts = [];
      this.#unmerged = 0;
      return;
    }
    // A piece that ends at a newline is decoded within this push; only a tail is copied.
    this.#parts.push(keep ? piece.slice() : piece);
    // A server that trickles a line a byte at a time makes a piece per byte, each a typed array
    // of ~140 bytes: a 1 MiB line held 144 MB. Every MERGE_PIECES pieces become one (linear:
    // each byte is copied once per merge level, and the levels are few).
    if (++this.#unmerged >= MERGE_PIECES) this.#merge();
  }

  /** Joins the last pieces into one; when the merged pieces pile up in turn, all of them. */
  #merge(): void {
    const tail = this.#parts.splice(this.#parts.length - this.#unmerged);
    this.#parts.push(concat(tail, tail.reduce((n, part) => n + part.length, 0)));
    this.#unmerged = 0;
    if (this.#parts.length >= MERGE_PIECES) this.#parts = [concat(this.#parts, this.#parts.reduce((n, part) => n + part.length, 0))];
  }

  #finish(items: NdjsonItem[]): void {
    const bytes = this.#bytes;
    const parts = this.#parts;
    const skipped = this.#skipping;
    this.#parts = [];
    this.#unmerged = 0;
    this.#bytes = 0;
    this.#skipping = false;
    if (skipped) {
      items.push({ kind: 'too-long', bytes });
      return;
    }
    let line = parts.length === 1 ? parts[0]! : concat(parts, bytes);
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
    if (line.length === 0) return;
    items.push({ kind: 'line', text: this.#decoder.decode(line) });
  }
}

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
