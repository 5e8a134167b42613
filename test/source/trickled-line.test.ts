/**
 * A watch line trickled a byte at a time (a misbehaving server or proxy, or a slow link: each
 * read of the socket then brings one byte). The reader kept each piece as its own typed array,
 * ~140 bytes a byte: a 1 MiB line held 112 MB before its newline, an abort in a 128 MiB pod;
 * as decoded strings, 3.5 MB per MiB (14 MB at the cap). Pieces are now joined as they pile up.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { type LineSink, NdjsonLineReader } from '../../src/source/ndjson-line-reader.ts';

setFlagsFromString('--expose-gc');

/** A sink that keeps the lines it is handed. */
function collect(): { sink: LineSink; lines: string[] } {
  const lines: string[] = [];
  return { lines, sink: { line: (text) => void lines.push(text), tooLong: () => {} } };
}
const gc = runInNewContext('gc') as () => void;
const held = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('a line trickled a byte at a time', () => {
  it('holds about the line, not a piece per byte (a line just under the 4 MiB cap)', () => {
    const line = Buffer.from(JSON.stringify({ type: 'ADDED', object: { message: 'é'.repeat(2 * 1024 * 1024 - 64) } }));
    const reader = new NdjsonLineReader();
    const { sink, lines } = collect();
    const before = held();
    for (let i = 0; i < line.length; i++) reader.push(line.subarray(i, i + 1), sink);
    assert.deepEqual(lines, []);
    const grownMb = (held() - before) / 1024 / 1024;
    console.log(`${line.length}-byte line in 1-byte chunks: ${grownMb.toFixed(1)} MB held before its newline`);
    assert.ok(grownMb < 8, `${grownMb.toFixed(1)} MB held for a ${line.length}-byte line`);
    reader.push(Buffer.from('\n'), sink);
    assert.deepEqual(lines, [line.toString('utf8')]);
  });

  it('gives the same lines however a stream of long multibyte lines is cut into tiny chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', minLength: 200, maxLength: 900 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 50 }),
        (lines, sizes) => {
          const text = lines.map((l) => l.replaceAll('\n', ' ').replaceAll('\r', ' ')).filter((l) => l.trim() !== '');
          const bytes = Buffer.from(text.map((l) => `${l}\n`).join(''));
          const reader = new NdjsonLineReader();
          const { sink, lines: out } = collect();
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length] as number;
            reader.push(bytes.subarray(at, at + size), sink);
            at += size;
          }
          assert.deepEqual(out, text);
        },
      ),
      { numRuns: 200 },
    );
  });
});
