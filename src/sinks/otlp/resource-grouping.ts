import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { AttributeMap, EventRecord } from '../../model/event-record.ts';

/**
 * A key of a resource's attributes, in insertion order. Records of one object are built by the
 * same code in the same order, so they get the same key; a different order would only split a
 * group (one more ResourceLogs with the same resource), never merge two. Sorting the keys for
 * every record cost ~2 % of the router's CPU (bench/README.md). Values that are not strings are
 * marked and written as JSON, so that `"1"` and `1` are two resources, not one.
 */
export function resourceKey(attributes: AttributeMap): string {
  let key = '';
  for (const name in attributes) {
    const value = attributes[name];
    key += typeof value === 'string' ? `${name}\u0000${value}\u0001` : `${name}\u0002${JSON.stringify(value)}\u0001`;
  }
  return key;
}

/**
 * Turns records into SDK `ReadableLogRecord`s that share one `Resource` object per involved
 * object and one scope object. The OTLP transformer groups records by the identity of these
 * objects, so each export request carries one `ResourceLogs` per object with its records
 * under it — the per-event resource that a single `LoggerProvider` (one Resource) cannot give.
 */
export function toReadableLogRecords(
  records: readonly EventRecord[],
  scope: InstrumentationScope,
): ReadableLogRecord[] {
  const resources = new Map<string, Resource>();
  const out: ReadableLogRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as EventRecord;
    const key = resourceKey(record.resource);
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = resourceFromAttributes(record.resource);
      resources.set(key, resource);
    }
    // One literal of one shape for every record (no conditional spread): the serializer skips
    // an undefined severityText, and a stable shape keeps the hot loop monomorphic.
    out[i] = {
      hrTime: record.hrTime,
      hrTimeObserved: record.hrTimeObserved,
      severityNumber: record.severityNumber,
      severityText: record.severityText as string,
      body: record.body,
      eventName: record.eventName,
      resource,
      instrumentationScope: scope,
      attributes: record.attributes,
      droppedAttributesCount: 0,
    };
  }
  return out;
}
