/**
 * One result of {@link NdjsonLineReader}: a complete line, or the size of a line that was
 * skipped with its first characters (`head`), enough to name what was dropped.
 */
export type NdjsonItem = { kind: 'line'; text: string } | { kind: 'too-long'; bytes: number; head: string };

/** etcd refuses objects above 1.5 MiB; a line of a watch stream is one object plus its frame. */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Characters of a skipped line kept to name it: the API server writes `metadata` first, and its
 * name, namespace, uid and resourceVersion before labels, annotations or managedFields.
 */
export const SKIPPED_HEAD_LENGTH = 8 * 1024;

const NEWLINE = 0x0a;
/** Pieces of one line kept apart at most before they are joined (see #merge). */
const MERGE_PIECES = 256;

/**
 * Splits a byte stream into newline-delimited lines. Appending decoded chunks to a string and
 * searching it from the start costs quadratic CPU on a line that arrives in many chunks (a 4 MiB
 * event in 1 KiB chunks took ~4 s and 328 MB); this searches each chunk's bytes for newlines
 * once, and decodes each piece of a line as it arrives (a multibyte character split across
 * chunks is held by the streaming decoder), joining the pieces at the newline. Pieces are kept
 * as strings, not copies of the chunks: a 1 MiB line held as bytes cost 2 MiB of buffers outside
 * the V8 heap (copies, then one joined copy) that only a full GC frees, and a burst of such lines
 * took ~60 MB over the heap in a 128 MiB pod. A line longer than `maxLineBytes` is not buffered:
 * its bytes are counted and dropped up to the next newline, and it comes back as `too-long`
 * with its first {@link SKIPPED_HEAD_LENGTH} characters, so that one hostile line costs neither
 * memory nor a reconnect loop, and can still be named.
 */
export class NdjsonLineReader {
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder('utf-8');
  /** The incomplete line so far, decoded piece by piece. */
  #parts: string[] = [];
  /** Pieces appended since the last merge. */
  #unmerged = 0;
  #bytes = 0;
  /** Set while dropping an over-long line up to its newline. */
  #skipping = false;
  /** The first characters of the line being dropped. */
  #head = '';

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

  /** `partial`: the line goes on in the next chunk (a character may be cut at its end). */
  #append(piece: Uint8Array, partial: boolean): void {
    if (piece.length === 0) {
      // The line ends here: what the decoder still holds of a cut character is flushed.
      if (!partial && this.#parts.length > 0 && !this.#skipping) this.#parts.push(this.#decoder.decode());
      return;
    }
    this.#bytes += piece.length;
    if (this.#skipping) return;
    if (this.#bytes > this.#maxLineBytes) {
      this.#skipping = true;
      const known = this.#parts.join('');
      const rest = known.length < SKIPPED_HEAD_LENGTH ? this.#decoder.decode(piece.subarray(0, 4 * SKIPPED_HEAD_LENGTH), { stream: true }) : '';
      this.#head = (known + rest).slice(0, SKIPPED_HEAD_LENGTH);
      this.#decoder.decode();
      this.#parts = [];
      this.#unmerged = 0;
      return;
    }
    // A whole line in one piece (the common case) is decoded in one call, without streaming.
    this.#parts.push(partial || this.#parts.length > 0 ? this.#decoder.decode(piece, { stream: partial }) : this.#decoder.decode(piece));
    if (++this.#unmerged >= MERGE_PIECES) this.#merge();
  }

  /**
   * A server that trickles a line a byte at a time makes a piece per byte: as typed arrays a 1 MiB
   * line held 113 MB, as strings 9 MB (an entry of the array each) before its newline. Every
   * MERGE_PIECES pieces are joined into one, and the joined ones again when that many pile up,
   * so each character is copied a few times, not held per piece.
   */
  #merge(): void {
    const tail = this.#parts.splice(this.#parts.length - this.#unmerged);
    this.#parts.push(tail.join(''));
    this.#unmerged = 0;
    if (this.#parts.length >= MERGE_PIECES) this.#parts = [this.#parts.join('')];
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
      items.push({ kind: 'too-long', bytes, head: this.#head });
      this.#head = '';
      return;
    }
    let line = parts.length === 1 ? (parts[0] as string) : parts.join('');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) return;
    items.push({ kind: 'line', text: line });
  }
}
