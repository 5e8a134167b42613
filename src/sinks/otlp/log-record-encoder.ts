import type { InstrumentationScope } from '@opentelemetry/core';
import type { AttributeMap, EventRecord } from '../../model/event-record.ts';
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

/** Encoded `Resource`s kept (~1 KiB each with its key and attributes); past it, the cache starts over. */
const RESOURCE_CACHE_SIZE = 2048;
/** Resources kept per object (containers, field paths, nodes of one object's events); past it, the oldest goes. */
const RESOURCES_PER_OBJECT = 16;

/** A kept resource: its attributes' names and values in order, to match a record's in place. */
interface KeptResource {
  readonly names: readonly string[];
  readonly values: readonly unknown[];
  readonly encoded: EncodedResource;
}

/** Whether `attributes` are exactly `kept`'s: the same names, in the same order, with the same values. */
function matches(attributes: AttributeMap, kept: KeptResource): boolean {
  const { names, values } = kept;
  let i = 0;
  for (const name in attributes) {
    if (name !== names[i] || attributes[name] !== values[i]) return false;
    i++;
  }
  return i === names.length;
}

/** The attribute an object's resources are found by: its uid, else (no object named) its namespace. */
function objectOf(attributes: AttributeMap): string {
  const uid = attributes['k8s.object.uid'];
  if (typeof uid === 'string') return uid;
  const namespace = attributes['k8s.namespace.name'];
  return typeof namespace === 'string' ? namespace : '';
}

/** Bytes of a length-delimited field around `length` bytes: a one-byte tag and the length's varint. */
function framed(length: number): number {
  return 1 + (length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5) + length;
}

/**
 * Encodes records for an OTLP protobuf sink as they enter its queue (one `LogRecord` message
 * each), and assembles an export request from them by concatenation: one `ResourceLogs` per
 * involved object, in the order the objects first appear in the batch, its records in queue
 * order. An object's `Resource` is encoded once and kept (bounded), found again by its
 * attributes, so the per-record work is the `LogRecord` alone.
 */
export class LogRecordEncoder {
  readonly #scope: Uint8Array;
  /**
   * Encoded resources by the object they describe, matched by their attributes in place: a
   * lookup by a key of all the attributes (`resourceKey`, a dozen concatenations of ~300
   * characters, then hashed and compared) cost ~1.5 µs per record (bench/micro/lookups.ts), a
   * scan of an object's few resources ~0.2. Only values that are not primitives (never the
   * router's own) fail to match, and are encoded each time.
   */
  readonly #resources = new Map<string, KeptResource[]>();
  #kept = 0;

  constructor(scope: InstrumentationScope) {
    this.#scope = encodeScope(scope);
  }

  encode(record: EventRecord): EncodedLogRecord {
    const resource = this.#resource(record.resource);
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

  #resource(attributes: AttributeMap): EncodedResource {
    const object = objectOf(attributes);
    let kept = this.#resources.get(object);
    if (kept !== undefined) {
      for (let i = 0; i < kept.length; i++) if (matches(attributes, kept[i] as KeptResource)) return (kept[i] as KeptResource).encoded;
    }
    const encoded: EncodedResource = { key: resourceKey(attributes), bytes: encodeResource(attributes) };
    if (this.#kept >= RESOURCE_CACHE_SIZE) {
      // Bounded without per-lookup bookkeeping: a cluster with more live resources than this
      // re-encodes them, which a least-recently-used order would not spare it either.
      this.#resources.clear();
      this.#kept = 0;
      kept = undefined;
    }
    if (kept === undefined) {
      kept = [];
      this.#resources.set(object, kept);
    }
    if (kept.length >= RESOURCES_PER_OBJECT) {
      kept.shift();
      this.#kept -= 1;
    }
    const names = Object.keys(attributes);
    kept.push({ names, values: names.map((name) => attributes[name]), encoded });
    this.#kept += 1;
    return encoded;
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
