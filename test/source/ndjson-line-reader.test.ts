import assert from 'node:assert/strict';
import { StringDecoder } from 'node:string_decoder';
import { describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { type LineSink, NdjsonLineReader, SKIPPED_HEAD_LENGTH } from '../../src/source/ndjson-line-reader.ts';

type NdjsonItem = { kind: 'line'; text: string } | { kind: 'too-long'; bytes: number; head: string };

/** A sink that keeps, in order, what the reader hands it. */
function collector(): LineSink & { items: NdjsonItem[] } {
  const items: NdjsonItem[] = [];
  return { items, line: (text) => items.push({ kind: 'line', text }), tooLong: (bytes, head) => items.push({ kind: 'too-long', bytes, head }) };
}

/** The lines one chunk completes. */
function push(reader: NdjsonLineReader, chunk: Uint8Array): NdjsonItem[] {
  const sink = collector();
  reader.push(chunk, sink);
  return sink.items;
}

/** The last line of a stream without a newline, if any. */
function end(reader: NdjsonLineReader): NdjsonItem[] {
  const sink = collector();
  reader.end(sink);
  return sink.items;
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `chunks` to a reader and returns everything it produced, `end()` included. */
function feed(chunks: readonly Uint8Array[], maxLineBytes?: number): NdjsonItem[] {
  const reader = new NdjsonLineReader(maxLineBytes === undefined ? {} : { maxLineBytes });
  const items: NdjsonItem[] = [];
  for (const chunk of chunks) items.push(...push(reader, chunk));
  items.push(...end(reader));
  return items;
}

const lines = (items: NdjsonItem[]) => items.map((item) => (item.kind === 'line' ? item.text : `<too-long ${item.bytes}>`));

/** Splits `data` at the given offsets. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of points) {
    chunks.push(data.slice(last, point));
    last = point;
  }
  chunks.push(data.slice(last));
  return chunks;
}

describe('NDJSON line reader', () => {
  it('decodes a multibyte character split across chunks', () => {
    const data = bytes('{"m":"Größe 🚀"}\n');
    const emoji = data.indexOf(0xf0);
    assert.deepEqual(lines(feed([data.slice(0, emoji + 1), data.slice(emoji + 1, emoji + 3), data.slice(emoji + 3)])), ['{"m":"Größe 🚀"}']);
  });

  it('decodes a chunk of many lines in one call, and a one-line chunk into the line itself', () => {
    const calls = [
      mock.method(Buffer.prototype, 'toString'),
      mock.method(TextDecoder.prototype, 'decode'),
      mock.method(StringDecoder.prototype, 'write'),
      mock.method(StringDecoder.prototype, 'end'),
    ];
    const decodes = () => calls.reduce((sum, spy) => sum + spy.mock.callCount(), 0);
    try {
      const reader = new NdjsonLineReader();
      const many = Array.from({ length: 100 }, (_, i) => `{"i":${i},"m":"é"}`);
      const got = push(reader, Buffer.from(`${many.join('\n')}\n`));
      assert.deepEqual(lines(got), many);
      assert.equal(decodes(), 1);
      const one = push(reader, Buffer.from('{"one":true}\n'));
      assert.deepEqual(lines(one), ['{"one":true}']);
      assert.equal(decodes(), 2);
    } finally {
      for (const spy of calls) spy.mock.restore();
    }
  });

  it('drops the carriage return of CRLF and leaves out empty lines', () => {
    assert.deepEqual(lines(feed([bytes('a\r\n\r\n\nb\r'), bytes('\nc\n\n')])), ['a', 'b', 'c']);
  });

  it('joins a line that arrives in 4,000 chunks, decoding it once', () => {
    const line = `{"x":"${'é'.repeat(4000)}"}`;
    const data = bytes(`${line}\nnext\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 3) chunks.push(data.slice(i, i + 3));
    assert.ok(chunks.length > 2000);
    assert.deepEqual(lines(feed(chunks)), [line, 'next']);
  });

  it('reports an over-long line by its size, skips to its newline, and reads the next line', () => {
    const reader = new NdjsonLineReader({ maxLineBytes: 100 });
    const got: NdjsonItem[] = [];
    got.push(...push(reader, bytes('ok-1\n')));
    for (let i = 0; i < 50; i++) {
      got.push(...push(reader, bytes('x'.repeat(40))));
      assert.ok(reader.bufferedBytes <= 100, 'an over-long line is not buffered');
    }
    got.push(...push(reader, bytes('tail\nok-2\n')));
    assert.deepEqual(lines(got), ['ok-1', '<too-long 2004>', 'ok-2']);
  });

  it('keeps the first 8 Ki characters of an over-long line to name it, however it was chunked, and nothing more', () => {
    const start = `{"type":"ADDED","object":{"metadata":{"name":"é-big"}},"message":"`;
    const line = `${start}${'z'.repeat(20_000)}"}`;
    for (const size of [7, 5000, 9000, 30_000]) {
      const data = bytes(`${line}\nnext\n`);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < data.length; i += size) chunks.push(data.slice(i, i + size));
      const got = feed(chunks, 10_000);
      assert.equal(got[0]?.kind, 'too-long');
      const head = got[0]?.kind === 'too-long' ? got[0].head : '';
      assert.equal(head, line.slice(0, SKIPPED_HEAD_LENGTH), `chunks of ${size}`);
      assert.deepEqual(lines(got.slice(1)), ['next']);
    }
  });

  it('accepts a line of exactly the limit', () => {
    assert.deepEqual(lines(feed([bytes(`${'y'.repeat(10)}\n${'z'.repeat(11)}\n`)], 10)), ['y'.repeat(10), '<too-long 11>']);
  });

  it('gives the same lines however the bytes are chunked (property)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '🚀', ' ', '{', '"', '\r'), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (texts, cuts, trailingNewline) => {
        const text = texts.join('\n') + (trailingNewline ? '\n' : '');
        const data = bytes(text);
        const expected = text
          .split('\n')
          .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
          .filter((l) => l !== '');
        assert.deepEqual(lines(feed(split(data, cuts))), expected);
        assert.deepEqual(lines(feed([data])), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('never buffers more than the limit, and reports every over-long line (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 300 }), { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 30 }), (lengths, cuts) => {
        const data = bytes(lengths.map((n) => 'q'.repeat(n)).join('\n') + '\n');
        const reader = new NdjsonLineReader({ maxLineBytes: 100 });
        const items: NdjsonItem[] = [];
        for (const chunk of split(data, cuts)) {
          items.push(...push(reader, chunk));
          assert.ok(reader.bufferedBytes <= 100);
        }
        const expected = lengths.filter((n) => n > 0).map((n) => (n > 100 ? `<too-long ${n}>` : 'q'.repeat(n)));
        assert.deepEqual(lines(items), expected);
      }),
      { numRuns: 300 },
    );
  });
});
