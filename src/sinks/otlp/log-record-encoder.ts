import type { InstrumentationScope } from '@opentelemetry/core';
import { LRUCache } from 'lru-cache';
import type { EventRecord } from '../../model/event-record.ts';
import type { EncodedItem } from '../sink.ts';
import { resourceKey } from './resource-grouping.ts';
import { type ResourceGroup, encodeLogRecord, encodeLogsRequest, encodeResource, encodeScope } from './otlp-logs-writer.ts';

/** An involved object's `Resource`, encoded once. */
export interface EncodedResource {
  readonly key: string;
  readonly bytes: Uint8Array;
}

/** One record as an OTLP protobuf sink queues it: its `LogRecord` bytes and its resource's. */
export interface EncodedLogRecord extends EncodedItem {
  readonly record: Uint8Array;
  readonly resource: EncodedResource;
}

/** Involved objects whose encoded `Resource` is kept (~1 KiB each with its key). */
const RESOURCE_CACHE_SIZE = 2048;

/** Bytes of a length-delimited field around `length` bytes: a one-byte tag and the length's varint. */
function framed(length: number): number {
  return 1 + (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5) + length;
}

/**
 * Encodes records for an OTLP protobuf sink as they enter its queue (one `LogRecord` message
 * each), and assembles an export request from them by concatenation: one `ResourceLogs` per
 * involved object, in the order the objects first appear in the batch, its records in queue
 * order. An object's `Resource` is encoded once and kept in a bounded LRU by a key of its
 * attributes, so the per-record work is the `LogRecord` alone.
 */
export class LogRecordEncoder {
  readonly #scope: Uint8Array;
  readonly #resources = new LRUCache<string, EncodedResource>({ max: RESOURCE_CACHE_SIZE });

  constructor(scope: InstrumentationScope) {
    this.#scope = encodeScope(scope);
  }

  encode(record: EventRecord): EncodedLogRecord {
    const key = resourceKey(record.resource);
    let resource = this.#resources.get(key);
    if (resource === undefined) {
      resource = { key, bytes: encodeResource(record.resource) };
      this.#resources.set(key, resource);
    }
    const bytes = encodeLogRecord(record);
    const { event } = record;
    return {
      record: bytes,
      resource,
      // At most what it adds to a request: its LogRecord, and a ResourceLogs of its own (resource, scope) if it is alone.
      size: framed(bytes.length) + framed(framed(resource.bytes.length) + framed(this.#scope.length) + 5),
      dedupeKey: record.dedupeKey,
      uid: event.uid,
      namespace: event.namespace,
      name: event.name,
      bodyLength: record.body.length,
    };
  }

  /** An `ExportLogsServiceRequest` of these records. */
  request(records: readonly EncodedLogRecord[]): Uint8Array {
    const groups = new Map<string, { resource: Uint8Array; records: Uint8Array[] }>();
    for (const item of records) {
      const group = groups.get(item.resource.key);
      if (group === undefined) groups.set(item.resource.key, { resource: item.resource.bytes, records: [item.record] });
      else group.records.push(item.record);
    }
    return encodeLogsRequest(groups.values() as Iterable<ResourceGroup>, this.#scope);
  }
}
