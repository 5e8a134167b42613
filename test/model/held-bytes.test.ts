import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heldBytes, stringBytes } from '../../src/model/held-bytes.ts';

describe('held bytes', () => {
  it('counts a string as a header plus one byte per character up to U+00FF (V8 one-byte strings)', () => {
    assert.equal(stringBytes(''), 16);
    assert.equal(stringBytes('abcd'), 16 + 4);
    assert.equal(stringBytes('ÿÿ'), 16 + 2, 'U+00FF still fits one byte');
    assert.equal(heldBytes('abcd'), stringBytes('abcd'));
  });

  it('counts two bytes per character once one is above U+00FF (stored as UTF-16)', () => {
    assert.equal(stringBytes('abcĀ'), 16 + 4 * 2);
    assert.equal(stringBytes('é→'), 16 + 2 * 2);
    assert.equal(stringBytes('\u{1F600}'), 16 + 2 * 2, 'a surrogate pair is two UTF-16 units');
  });

  it('counts numbers at a flat rate, and null, undefined and booleans as nothing', () => {
    assert.equal(heldBytes(42), 16);
    assert.equal(heldBytes(null), 0);
    assert.equal(heldBytes(undefined), 0);
    assert.equal(heldBytes(true), 0);
  });

  it('counts an object as a header plus two slots per property and what each holds', () => {
    assert.equal(heldBytes({}), 32);
    assert.equal(heldBytes({ a: 'xy' }), 32 + 16 + heldBytes('xy'));
    assert.equal(heldBytes({ a: 1, b: 'z' }), 32 + 2 * 16 + 16 + stringBytes('z'));
  });

  it('counts an array as a header plus one slot per item and what each holds', () => {
    assert.equal(heldBytes([]), 32);
    assert.equal(heldBytes(['ab', 7]), 32 + 2 * 8 + stringBytes('ab') + 16);
  });

  it('grows with what is held: a deeper or longer value never counts less', () => {
    const small = { metadata: { name: 'p', labels: { app: 'a' } } };
    const large = { metadata: { name: 'p', labels: { app: 'a', tier: 'web' } } };
    assert.ok(heldBytes(large) > heldBytes(small));
  });

  it('stops at maxDepth and counts what lies deeper at a flat 1 KiB', () => {
    const deep = { a: { b: { c: 'x'.repeat(10_000) } } };
    assert.equal(heldBytes(deep, 1), 32 + 16 + 1024);
    assert.equal(heldBytes(deep, 0), 1024);
    assert.ok(heldBytes(deep) > 10_000, 'within the default depth the long string is counted');
  });

  it('terminates on a cycle (the depth bound holds)', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const bytes = heldBytes(cyclic, 4);
    assert.ok(Number.isFinite(bytes) && bytes > 0);
  });
});
