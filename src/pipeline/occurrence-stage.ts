import type { Config } from '../config/schema.ts';
import type { EventRecord } from '../model/event-record.ts';
import { cutRawEvent } from '../model/cut-raw-event.ts';
import { type MapOptions, mapEvent } from '../model/map-event.ts';
import { OccurrenceTracker } from '../model/occurrence-tracker.ts';
import type { EventItem } from './stage.ts';

/**
 * The first two stages, occurrence → map: decides whether a notification is a real occurrence
 * (README.md "Which notifications become records", with `source.emit`), and maps it to
 * a record. The tracker that remembers what was seen lives here.
 */
export class OccurrenceStage {
  readonly #tracker: OccurrenceTracker;
  readonly #emit: Config['source']['emit'];
  readonly #map: MapOptions;
  /** Whether a sink needs the object as received (stdout `classic`); otherwise it is not kept. */
  readonly #keepRaw: boolean;

  constructor(options: { emit: Config['source']['emit']; dedupeCacheSize: number; map: MapOptions; keepRaw: boolean }) {
    this.#tracker = new OccurrenceTracker(options.dedupeCacheSize);
    this.#emit = options.emit;
    this.#map = options.map;
    this.#keepRaw = options.keepRaw;
  }

  /** The record of this notification, or undefined when it is not one to export. */
  toRecord(item: EventItem): EventRecord | undefined {
    const verb = this.#verb(item);
    if (verb === undefined) return undefined;
    const record = mapEvent(item.event, verb, this.#map);
    if (this.#keepRaw) record.raw = cutRawEvent(item.raw, this.#map.maxBodyLength, record.body);
    return record;
  }

  #verb(item: EventItem): EventRecord['verb'] | undefined {
    const { event } = item;
    switch (item.notification) {
      case 'DELETED':
        this.#tracker.forget(event);
        return this.#emit.deleted ? 'DELETED' : undefined;
      case 'ADDED':
      case 'LISTED': {
        const occurrence = this.#tracker.observe(event, true);
        if (occurrence === 'none') return undefined;
        if (occurrence === 'new') return this.#emit.added ? 'ADDED' : undefined;
        return 'UPDATED';
      }
      case 'MODIFIED': {
        const occurrence = this.#tracker.observe(event, false);
        if (this.#emit.modified === 'none') return undefined;
        if (this.#emit.modified === 'occurrence' && occurrence === 'none') return undefined;
        return 'UPDATED';
      }
    }
  }
}
