/**
 * Roughly what a value costs on the V8 heap, for budgets that must count what is really held
 * (bench/record-heap.ts measures it against the heap: bench/README.md, "Memory per held record").
 * A string is its header plus one byte per character, two when it has a character above
 * U+00FF (V8 stores such strings as UTF-16); an object its header plus a slot per property;
 * shared strings (property names, values interned by the parser) are counted each time, so
 * this errs high. Walks at most `maxDepth` levels: deeper parts are counted at a flat rate.
 */
export function heldBytes(value: unknown, maxDepth = 32): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return 16;
    case 'object': {
      if (value === null) return 0;
      if (maxDepth <= 0) return 1024;
      if (Array.isArray(value)) {
        let bytes = ARRAY_BYTES + value.length * SLOT_BYTES;
        for (const item of value) bytes += heldBytes(item, maxDepth - 1);
        return bytes;
      }
      let bytes = OBJECT_BYTES;
      for (const key in value) bytes += SLOT_BYTES * 2 + heldBytes((value as Record<string, unknown>)[key], maxDepth - 1);
      return bytes;
    }
    default:
      return 0;
  }
}

/** A string's header and characters (see {@link heldBytes}). */
export function stringBytes(text: string): number {
  return STRING_BYTES + (TWO_BYTE.test(text) ? text.length * 2 : text.length);
}

const TWO_BYTE = /[^\u0000-\u00ff]/;
const STRING_BYTES = 16;
const OBJECT_BYTES = 32;
const ARRAY_BYTES = 32;
const SLOT_BYTES = 8;
