import { SeverityNumber } from '@opentelemetry/api';
import type { EventRecord } from '../../model/event-record.ts';
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
export function toClassicLine(record: EventRecord): string {
  const line: Record<string, unknown> = { verb: record.verb, event: record.raw ?? null };
  if (record.verb !== 'ADDED' && record.oldRaw !== undefined) line['old_event'] = record.oldRaw;
  return JSON.stringify(line);
}
