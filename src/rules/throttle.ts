import { LRUCache } from 'lru-cache';
import { ATTR_EVENTROUTER_THROTTLE_SUPPRESSED } from '../model/attribute-names.ts';
import type { EventRecord } from '../model/event-record.ts';

/**
 * Bytes of keys kept at most (estimated, two bytes a character): a key holds the involved
 * object's name, which an Event's creator chooses and the API server does not bound (a 900 KB
 * name is stored): 200 such keys held 95 MB. A key larger than the bound is not kept (that
 * object is not throttled).
 */
const MAX_KEY_BYTES = 8 * 1024 * 1024;

interface Window {
  start: number;
  passed: number;
  suppressed: number;
}

/**
 * Per-sink rate limit: at most `limit` records per (involved object, reason) per interval.
 * A suppressed record is acknowledged without export (counted); the next record of that key
 * that passes carries `eventrouter.throttle.suppressed` with how many were held back. Keys are
 * kept in an LRU bounded in number and bytes, so a storm over many objects cannot grow memory without bound.
 */
export class Throttle {
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #windows = new LRUCache<string, Window>({ max: 50_000, maxSize: MAX_KEY_BYTES, sizeCalculation: (_window, key) => 64 + key.length * 2 });

  constructor(limit: number, intervalMs: number) {
    this.#limit = limit;
    this.#intervalMs = intervalMs;
  }

  /** Returns the record to export (a copy when it carries a suppressed count), or undefined to suppress it. */
  admit(record: EventRecord, now = Date.now()): EventRecord | undefined {
    const r = record.event.regarding;
    const key = `${r.kind ?? ''}/${r.namespace ?? record.event.namespace}/${r.name ?? ''}/${r.uid ?? ''}/${record.event.reason ?? ''}`;
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= this.#intervalMs) {
      const carried = window?.suppressed ?? 0;
      window = { start: now, passed: 0, suppressed: carried };
      this.#windows.set(key, window);
    }
    if (window.passed >= this.#limit) {
      window.suppressed += 1;
      return undefined;
    }
    window.passed += 1;
    if (window.suppressed === 0) return record;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { ...record, attributes: { ...record.attributes, [ATTR_EVENTROUTER_THROTTLE_SUPPRESSED]: suppressed } };
  }
}
