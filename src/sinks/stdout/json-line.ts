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
