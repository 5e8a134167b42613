import { LRUCache } from 'lru-cache';
import { lastSeenTime } from './normalize.ts';
import { type NormalizedEvent, eventKey } from './normalized-event.ts';
import { parseTimeMillis } from './time.ts';

/** What is remembered of an event: two numbers, so that 100,000 events cost a few MB. */
interface Seen {
  count: number;
  /** Its last-seen time in epoch ms (NaN when it has none). */
  lastSeen: number;
}

/** What a watch notification or listed object means for the output. */
export type Occurrence = 'new' | 'repeat' | 'none';

/**
 * Decides which notifications are a real occurrence of an event: the first sighting, or a
 * repeat whose count grew or whose last-seen time moved. Remembers a bounded number of
 * events (least recently seen evicted), so memory does not grow with the cluster's events;
 * an evicted event that changes again is treated as a repeat (at-least-once).
 */
export class OccurrenceTracker {
  readonly #seen: LRUCache<string, Seen>;

  constructor(maxEntries: number) {
    this.#seen = new LRUCache({ max: maxEntries });
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * @param firstSighting true for ADDED and for objects of a list that the router may not
   *   have seen; false for MODIFIED.
   */
  observe(event: NormalizedEvent, firstSighting: boolean): Occurrence {
    const key = eventKey(event);
    const count = event.count ?? 1;
    const lastSeen = parseTimeMillis(lastSeenTime(event));
    const previous = this.#seen.get(key);
    if (previous === undefined) {
      this.#seen.set(key, { count, lastSeen });
      return firstSighting ? 'new' : 'repeat';
    }
    // The same version seen again (a re-list, a replayed notification) advances neither.
    const repeat = count > previous.count || lastSeen > previous.lastSeen || (Number.isNaN(previous.lastSeen) && !Number.isNaN(lastSeen));
    if (count > previous.count) previous.count = count;
    if (!(lastSeen <= previous.lastSeen)) previous.lastSeen = lastSeen;
    return repeat ? 'repeat' : 'none';
  }

  forget(event: NormalizedEvent): void {
    this.#seen.delete(eventKey(event));
  }
}
