import { LRUCache } from 'lru-cache';
import { lastSeenTime } from './normalize.ts';
import type { NormalizedEvent } from './normalized-event.ts';

interface Seen {
  count: number;
  lastSeen: string;
  resourceVersion: string;
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

  constructor(maxEntries = 100_000) {
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
    const key = event.uid || `${event.namespace}/${event.name}`;
    const count = event.count ?? 1;
    const lastSeen = lastSeenTime(event) ?? '';
    const previous = this.#seen.get(key);
    if (previous !== undefined && previous.resourceVersion === event.resourceVersion && event.resourceVersion !== '') {
      return 'none';
    }
    this.#seen.set(key, { count, lastSeen, resourceVersion: event.resourceVersion });
    if (previous === undefined) return firstSighting ? 'new' : 'repeat';
    if (count > previous.count) return 'repeat';
    if (lastSeen !== '' && lastSeen > previous.lastSeen) return 'repeat';
    return 'none';
  }

  forget(event: NormalizedEvent): void {
    this.#seen.delete(event.uid || `${event.namespace}/${event.name}`);
  }
}
