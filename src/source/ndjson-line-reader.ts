import { StringDecoder } from 'node:string_decoder';

/** Where {@link NdjsonLineReader} hands the lines of a chunk, as it finds them (one object per stream, no callback per chunk). */
export interface LineSink {
  /** A complete line (without its newline or a trailing carriage return; never empty). */
  line(text: string): void;
  /** A line over the limit, skipped: its size and its first characters, enough to name what was dropped. */
  tooLong(bytes: number, head: string): void;
}

/** etcd refuses objects above 1.5 MiB; a line of a watch stream is one object plus its frame. */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Characters of a skipped line kept to name it: the API server writes `metadata` first, and its
 * name, namespace, uid and resourceVersion before labels, annotations or managedFields.
 */
export const SKIPPED_HEAD_LENGTH = 8 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** Pieces of one line kept apart at most before they are joined (see #merge). */
const MERGE_PIECES = 256;

/** The chunk as a Buffer without copying it (the HTTP client's chunks already are). */
function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Splits a byte stream into newline-delimited lines, one pass per chunk: the chunk's newlines
 * are found in its bytes (native `indexOf`), and the lines it completes are decoded in one call
 * and cut from that string, so a chunk costs one decode whatever number of lines it holds, and
 * a line that fits its chunk (kube-apiserver flushes one event per chunk) is decoded straight
 * into its string, with no copy, view or array around it. The lines go to a {@link LineSink}
 * as they are found.
 *
 * A line that spans chunks is decoded piece by piece as it arrives (a multibyte character cut
 * at a chunk's end is held by the streaming decoder) and joined at its newline: appending decoded
 * chunks to one string and searching it from the start cost quadratic CPU (a 4 MiB event in
 * 1 KiB chunks took ~4 s and 328 MB), and pieces held as bytes cost 2 MiB of buffers outside the
 * V8 heap per 1 MiB line (copies, then one joined copy) that only a full GC frees. A line longer
 * than `maxLineBytes` is not buffered: its bytes are counted and dropped up to the next newline,
 * and it is reported with its first {@link SKIPPED_HEAD_LENGTH} characters, so that one hostile
 * line costs neither memory nor a reconnect loop, and can still be named.
 */
export class NdjsonLineReader {
  readonly #maxLineBytes: number;
  /** Only for lines that span chunks; a line inside one chunk never goes through it. */
  readonly #decoder = new StringDecoder('utf8');
  /** The incomplete line so far, decoded piece by piece. */
  #parts: string[] = [];
  /** Pieces appended since the last merge. */
  #unmerged = 0;
  #bytes = 0;
  /** A line is open: it started in an earlier chunk and has not ended yet. */
  #open = false;
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

  /** Takes the next chunk; hands the lines it completed to `sink`, in order. Empty lines are left out. */
  push(chunk: Uint8Array, sink: LineSink): void {
    const buf = asBuffer(chunk);
    const length = buf.length;
    const last = buf.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.#append(buf, 0, length, true);
      return;
    }
    let start = 0;
    if (this.#open) {
      // The first newline ends the line that earlier chunks began.
      const first = buf.indexOf(NEWLINE);
      this.#append(buf, 0, first, false);
      this.#finish(sink);
      start = first + 1;
    }
    if (start < last) this.#lines(buf, start, last, sink);
    if (last + 1 < length) this.#append(buf, last + 1, length, true);
  }

  /** The stream ended: hands a last line without a newline, if any, to `sink`. */
  end(sink: LineSink): void {
    if (!this.#open) return;
    if (!this.#skipping) {
      // A character cut by the end of the stream comes out as U+FFFD, as a decoder's flush gives it.
      const rest = this.#decoder.end();
      if (rest !== '') this.#parts.push(rest);
    }
    this.#finish(sink);
  }

  /**
   * The complete lines in `buf[start, end)` (`end` is a newline), none of which began in an
   * earlier chunk: one decode, then each line cut from it, with newlines found in the bytes
   * (for each line's size) and in the string (for its characters) side by side: a newline
   * byte is never part of a multibyte character, so they come in the same order.
   */
  #lines(buf: Buffer, start: number, end: number, sink: LineSink): void {
    if (end - start > this.#maxLineBytes) {
      // Larger than any line may be (a chunk the HTTP layer never hands over, or a test's):
      // decoded line by line, so no string over the limit is ever made.
      for (let from = start; from <= end; ) {
        const newline = buf.indexOf(NEWLINE, from);
        const bytes = newline - from;
        if (bytes > this.#maxLineBytes) sink.tooLong(bytes, buf.toString('utf8', from, Math.min(newline, from + 4 * SKIPPED_HEAD_LENGTH)).slice(0, SKIPPED_HEAD_LENGTH));
        else emit(buf.toString('utf8', from, newline), sink);
        from = newline + 1;
      }
      return;
    }
    // With one line (the common case at a steady rate) the decoded string is the line: a slice
    // over the whole of a string is that string.
    const text = buf.toString('utf8', start, end);
    let byte = start;
    let char = 0;
    for (;;) {
      const newline = buf.indexOf(NEWLINE, byte);
      const stop = newline === end ? text.length : text.indexOf('\n', char);
      const bytes = newline - byte;
      if (bytes > this.#maxLineBytes) sink.tooLong(bytes, text.slice(char, Math.min(stop, char + SKIPPED_HEAD_LENGTH)));
      else if (bytes > 0) emit(text.slice(char, stop), sink);
      if (newline === end) return;
      byte = newline + 1;
      char = stop + 1;
    }
  }

  /** `buf[start, end)` belongs to the open line; `partial`: the line goes on in the next chunk. */
  #append(buf: Buffer, start: number, end: number, partial: boolean): void {
    const length = end - start;
    if (length === 0 && partial) return;
    this.#open = true;
    this.#bytes += length;
    if (this.#skipping) return;
    if (this.#bytes > this.#maxLineBytes) {
      this.#skipping = true;
      const known = this.#parts.join('');
      const rest = known.length < SKIPPED_HEAD_LENGTH ? this.#decoder.write(buf.subarray(start, Math.min(end, start + 4 * SKIPPED_HEAD_LENGTH))) : '';
      this.#head = (known + rest).slice(0, SKIPPED_HEAD_LENGTH);
      this.#decoder.end();
      this.#parts = [];
      this.#unmerged = 0;
      return;
    }
    const piece = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    // The line's end flushes what the decoder still holds of a cut character.
    const text = partial ? this.#decoder.write(piece) : this.#decoder.end(piece);
    if (text !== '') {
      this.#parts.push(text);
      if (++this.#unmerged >= MERGE_PIECES) this.#merge();
    }
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

  #finish(sink: LineSink): void {
    const bytes = this.#bytes;
    const parts = this.#parts;
    const skipped = this.#skipping;
    this.#parts = parts.length === 0 ? parts : [];
    this.#unmerged = 0;
    this.#bytes = 0;
    this.#open = false;
    this.#skipping = false;
    if (skipped) {
      const head = this.#head;
      this.#head = '';
      sink.tooLong(bytes, head);
      return;
    }
    if (parts.length > 0) emit(parts.length === 1 ? (parts[0] as string) : parts.join(''), sink);
  }
}

/** Hands on a line without its trailing carriage return; an empty line is left out. */
function emit(line: string, sink: LineSink): void {
  const length = line.length;
  if (length > 0 && line.charCodeAt(length - 1) === CARRIAGE_RETURN) {
    if (length > 1) sink.line(line.slice(0, -1));
    return;
  }
  if (length > 0) sink.line(line);
}
