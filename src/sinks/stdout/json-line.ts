import { LRUCache } from 'lru-cache';
import { SeverityNumber } from '@opentelemetry/api';
import type { EventRecord } from '../../model/event-record.ts';
import { heldBytes } from '../../model/held-bytes.ts';
import { eventKey } from '../../model/normalized-event.ts';
import { hrTimeToIso } from '../../model/time.ts';

/** The `json` line format: one self-contained object per record. */
export function toJsonLine(record: EventRecord): string {
  return JSON.stringify({
    time: hrTimeToIso(record.hrTime),
    observedTime: hrTimeToIso(record.hrTimeObserved),
    severityNumber: record.severityNumber,
    severityText: record.severityText ?? SeverityNumber[record.severityNumber],
    eventName: record.eventName,
    body: record.body,
    resource: record.resource,
    attributes: record.attributes,
  });
}

/**
 * The heptio/mintel eventrouter stdout line, so EFK pipelines that parse it keep working:
 * `{"verb":"ADDED"|"UPDATED","event":{...},"old_event":{...}}` with the Event objects as the
 * API server sent them (`old_event` on updates, when the previous version is known).
 */
function classicLine(record: EventRecord, old: unknown): string {
  const line: Record<string, unknown> = { verb: record.verb, event: record.raw ?? null };
  if (record.verb !== 'ADDED' && old !== undefined) line['old_event'] = old;
  return JSON.stringify(line);
}

/** What a record's first formatting found as its previous version (nothing known: `NONE`). */
const NONE = Symbol('none');

/**
 * The classic format with its memory: the previous version of each Event object, for the
 * `old_event` of UPDATED lines. Bounded in objects and in bytes (least recently updated
 * forgotten): 10,000 objects of 1 MiB each would not fit any pod, and the objects kept here are
 * outside the in-flight budget. Kept here because only this format needs it, and per sink: the
 * record is shared with every other sink it was fanned out to, so nothing is written on it.
 */
export class ClassicFormatter {
  readonly #previous: LRUCache<string, object>;
  /** Each record's previous version as its first formatting found it, while the record lives. */
  readonly #found = new WeakMap<EventRecord, unknown>();

  /** @param maxBytes heap held by the remembered objects, as heldBytes counts it (8 MiB: ~4,000 ordinary events of ~2 KiB). */
  constructor(maxObjects = 10_000, maxBytes = 8 * 1024 * 1024) {
    this.#previous = new LRUCache({ max: maxObjects, maxSize: maxBytes, sizeCalculation: (raw) => Math.max(1, heldBytes(raw)) });
  }

  readonly format = (record: EventRecord): string => {
    // Found at the record's first formatting, so that a retried batch prints the same line.
    const found = this.#found.get(record);
    if (found !== undefined) return classicLine(record, found === NONE ? undefined : found);
    const key = eventKey(record.event);
    const old = this.#previous.get(key);
    this.#found.set(record, old ?? NONE);
    // Formatted before it is remembered: an object that cannot be written (nested too deep for
    // JSON.stringify) must not become the old_event that makes the next version unwritable too.
    const line = classicLine(record, old);
    if (typeof record.raw === 'object' && record.raw !== null) this.#previous.set(key, record.raw);
    return line;
  };
}
