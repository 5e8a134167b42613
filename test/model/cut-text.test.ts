import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cutText } from '../../src/model/cut-text.ts';

describe('cut text', () => {
  it('returns a text within the limit as it is (the same string, no copy)', () => {
    const text = 'Back-off restarting failed container';
    assert.equal(cutText(text, text.length), text);
    assert.equal(cutText(text, text.length + 1), text);
    assert.equal(cutText('', 0), '');
  });

  it('keeps the first max UTF-16 units of a longer text', () => {
    assert.equal(cutText('abcdef', 3), 'abc');
    assert.equal(cutText('abcdef', 5), 'abcde');
    assert.equal(cutText('abcdef', 0), '');
  });

  it('treats a negative limit as zero', () => {
    assert.equal(cutText('abc', -5), '');
  });

  it('never ends on the first half of a surrogate pair (no lone surrogate in the record)', () => {
    const text = 'ab\u{1F600}cd'; // a, b, high, low, c, d
    assert.equal(cutText(text, 3), 'ab', 'a cut between the halves drops the high one');
    assert.equal(cutText(text, 4), 'ab\u{1F600}', 'a cut after the pair keeps it whole');
    assert.equal(cutText('\u{1F600}', 1), '');
    assert.ok(!/[\ud800-\udbff]$/.test(cutText('x'.repeat(99) + '\u{1F600}', 100)));
  });

  it('does not keep the long original alive (a copy, not a V8 sliced string over it)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 16;
    const originalBytes = 1 << 20;
    gc();
    const before = process.memoryUsage().heapUsed;
    const cuts: string[] = [];
    for (let i = 0; i < count; i++) {
      // 1 MiB on the heap, distinct per iteration (nothing shared between them); the cut flattens it.
      const original = String.fromCharCode(97 + i).repeat(originalBytes);
      cuts.push(cutText(original, 32 * 1024));
    }
    gc();
    const held = process.memoryUsage().heapUsed - before;
    assert.equal(cuts.length, count);
    // Sliced strings would hold all 16 MiB; copies hold 16 × 32 KiB.
    assert.ok(held < (count * originalBytes) / 4, `${Math.round(held / 1024)} KiB held for ${count} cuts of 32 KiB`);
  });

  it('returns equal characters for a long text, well formed', () => {
    const long = 'é'.repeat(1 << 20);
    const cut = cutText(long, 32 * 1024);
    assert.equal(cut.length, 32 * 1024);
    assert.equal(cut, long.slice(0, 32 * 1024));
    assert.ok(cut.isWellFormed());
  });
});
