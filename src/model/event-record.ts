import type { AttributeValue, HrTime, SeverityNumber } from '@opentelemetry/api';
import type { NormalizedEvent } from './normalized-event.ts';

export type AttributeMap = Record<string, AttributeValue>;

/**
 * One occurrence of a Kubernetes event, mapped to the OpenTelemetry log data model.
 * Every sink consumes this shape; the OTLP sink turns it into a `ReadableLogRecord`.
 */
export interface EventRecord {
  /** Attributes of the involved object's resource; enrichment adds to them. */
  resource: AttributeMap;
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  severityNumber: SeverityNumber;
  severityText?: string;
  body: string;
  eventName: string;
  attributes: AttributeMap;
  /** `ADDED` for a first occurrence, `UPDATED` for a repeat (the classic eventrouter verbs), `DELETED` if enabled. */
  verb: 'ADDED' | 'UPDATED' | 'DELETED';
  /** `uid/count`: identifies one occurrence; a re-delivered record carries the same key. */
  dedupeKey: string;
  /** The normalized event, its message cut as `body` is: nothing of the parsed object longer than what the sinks send. */
  event: NormalizedEvent;
  /** The Event object as received, kept only when a sink needs it (stdout `classic`), its message cut as `body` is ({@link cutRawEvent}). */
  raw?: unknown;
}
