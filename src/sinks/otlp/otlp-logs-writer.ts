import type { AttributeValue, HrTime } from '@opentelemetry/api';
import { type InstrumentationScope, isSimpleAttributeValue } from '@opentelemetry/core';
import protobuf from 'protobufjs/minimal.js';
import type { AttributeMap, EventRecord } from '../../model/event-record.ts';

type Writer = protobuf.Writer;

/*
 * OTLP logs in protobuf, written piece by piece with protobufjs's wire primitives and the field
 * layout of opentelemetry-proto (logs/v1/logs.proto, common/v1/common.proto, resource/v1,
 * collector/logs/v1; a copy is test/support/otlp-logs.proto). Each piece is a message's body,
 * without its tag and length, so that a request is assembled by concatenation:
 *
 *   ExportLogsServiceRequest { 1 resource_logs: ResourceLogs {
 *     1 resource: Resource, 2 scope_logs: ScopeLogs { 1 scope, 2 log_records: LogRecord... } }... }
 *
 * The fields are written in the order, and with the explicit zeros, of
 * @opentelemetry/otlp-transformer's ProtobufLogsSerializer, so that for the same records the
 * bytes are the same (test/sinks/otlp/otlp-logs-writer.test.ts checks both the bytes and the
 * decoded fields against it).
 */

/** Tags: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited). */
const TAG = {
  requestResourceLogs: (1 << 3) | 2,
  resourceLogsResource: (1 << 3) | 2,
  resourceLogsScopeLogs: (2 << 3) | 2,
  scopeLogsScope: (1 << 3) | 2,
  scopeLogsLogRecord: (2 << 3) | 2,
  resourceAttribute: (1 << 3) | 2,
  resourceDropped: (2 << 3) | 0,
  scopeName: (1 << 3) | 2,
  scopeVersion: (2 << 3) | 2,
  scopeAttribute: (3 << 3) | 2,
  scopeDropped: (4 << 3) | 0,
  logTime: (1 << 3) | 1,
  logSeverityNumber: (2 << 3) | 0,
  logSeverityText: (3 << 3) | 2,
  logBody: (5 << 3) | 2,
  logAttribute: (6 << 3) | 2,
  logDropped: (7 << 3) | 0,
  logObservedTime: (11 << 3) | 1,
  logEventName: (12 << 3) | 2,
  keyValueKey: (1 << 3) | 2,
  keyValueValue: (2 << 3) | 2,
  anyString: (1 << 3) | 2,
  anyBool: (2 << 3) | 0,
  anyInt: (3 << 3) | 0,
  anyDouble: (4 << 3) | 1,
  anyArray: (5 << 3) | 2,
  anyKvlist: (6 << 3) | 2,
  anyBytes: (7 << 3) | 2,
  listValue: (1 << 3) | 2,
} as const;

const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

/**
 * Protobuf strings are UTF-8. A JavaScript string may hold a lone surrogate, which protobufjs
 * would write as invalid UTF-8 (a receiver then refuses the whole request); TextEncoder, which the
 * SDK's serializer uses, writes U+FFFD for it, and so does this.
 */
function string(w: Writer, value: string): void {
  w.string(value.isWellFormed() ? value : value.toWellFormed());
}

/** `[seconds, nanoseconds]` as fixed64 nanoseconds, exactly (the product overflows 2^53), as the SDK splits it. */
function hrTime(w: Writer, time: HrTime): void {
  const seconds = time[0];
  const nanos = time[1];
  const fromLow16 = (seconds & 0xffff) * 1e9;
  const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (fromLow16 >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(fromLow16 / 0x100000000) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  w.fixed32(low >>> 0).fixed32(high >>> 0);
}

/** An AnyValue's body: strings, booleans, integers (int64), other numbers (double), bytes, arrays, maps. */
function anyValue(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.uint32(TAG.anyString);
      string(w, value);
      return;
    case 'boolean':
      w.uint32(TAG.anyBool).bool(value);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        if (value >= 0 && value <= 0xffffffff) w.uint32(TAG.anyInt).uint32(value);
        else w.uint32(TAG.anyInt).int64(value);
      } else {
        w.uint32(TAG.anyDouble).double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        w.uint32(TAG.anyBytes).bytes(value);
      } else if (Array.isArray(value)) {
        w.uint32(TAG.anyArray).fork();
        for (const item of value) {
          w.uint32(TAG.listValue).fork();
          anyValue(w, item);
          w.ldelim();
        }
        w.ldelim();
      } else {
        w.uint32(TAG.anyKvlist).fork();
        keyValues(w, value as Record<string, unknown>, TAG.listValue);
        w.ldelim();
      }
      return;
    default:
      // undefined, functions, symbols, bigints: an empty AnyValue, as the SDK writes them.
      return;
  }
}

/** Repeated KeyValue under `tag`, in the object's key order; `simple`: only what a `Resource` keeps (see encodeResource). */
function keyValues(w: Writer, attributes: Readonly<Record<string, unknown>>, tag: number, simple = false): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    // The SDK's Resource copies attributes by assignment, where an own `__proto__` key sets
    // the copy's prototype instead of an attribute: it is left out here as well.
    if (simple && (key.length === 0 || key === '__proto__' || !isSimpleAttributeValue(attributes[key]))) continue;
    w.uint32(tag).fork().uint32(TAG.keyValueKey);
    string(w, key);
    w.uint32(TAG.keyValueValue).fork();
    anyValue(w, attributes[key]);
    w.ldelim().ldelim();
  }
}

/**
 * The body of a `Resource` message (attributes, then an explicit `dropped_attributes_count` 0).
 * As the SDK's `Resource` does, an empty key or a value that is not a primitive or a homogeneous
 * array of primitives is left out.
 */
export function encodeResource(attributes: AttributeMap): Uint8Array {
  const w = protobuf.Writer.create();
  keyValues(w, attributes, TAG.resourceAttribute, true);
  w.uint32(TAG.resourceDropped).uint32(0);
  return w.finish();
}

/** The body of an `InstrumentationScope` message. */
export function encodeScope(scope: InstrumentationScope & { attributes?: Record<string, AttributeValue>; droppedAttributesCount?: number }): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(TAG.scopeName);
  string(w, scope.name);
  if (scope.version) {
    w.uint32(TAG.scopeVersion);
    string(w, scope.version);
  }
  if (scope.attributes) keyValues(w, scope.attributes, TAG.scopeAttribute);
  if (scope.droppedAttributesCount) w.uint32(TAG.scopeDropped).uint32(scope.droppedAttributesCount);
  return w.finish();
}

/** A scratch buffer larger than this is not kept after a record (a 1 MiB message would pin it). */
const SCRATCH_KEEP_BYTES = 64 * 1024;
/**
 * The writer every `LogRecord` is written into, then copied out of once: a fresh writer starts
 * at 128 bytes and doubles (four buffers and copies for a ~720-byte record), which the profile
 * showed as `Buffer.allocUnsafe` per record. Encoding is synchronous, so one is enough.
 */
let scratch = protobuf.Writer.create();

/** The body of one `LogRecord` message for a record (no trace context: events have none). */
export function encodeLogRecord(record: EventRecord): Uint8Array {
  // A throw half-way (an exotic value) leaves the writer part-written: start from a clean one then.
  if (scratch.pos !== 0 || (scratch.states !== null && scratch.states.length > 0)) scratch = protobuf.Writer.create();
  const w = scratch;
  w.uint32(TAG.logTime);
  hrTime(w, record.hrTime);
  if (record.severityNumber !== undefined && record.severityNumber !== 0) w.uint32(TAG.logSeverityNumber).int32(record.severityNumber);
  if (record.severityText) {
    w.uint32(TAG.logSeverityText);
    string(w, record.severityText);
  }
  if (record.body !== undefined) {
    w.uint32(TAG.logBody).fork();
    anyValue(w, record.body);
    w.ldelim();
  }
  keyValues(w, record.attributes, TAG.logAttribute);
  w.uint32(TAG.logDropped).uint32(0);
  w.uint32(TAG.logObservedTime);
  hrTime(w, record.hrTimeObserved);
  if (record.eventName) {
    w.uint32(TAG.logEventName);
    string(w, record.eventName);
  }
  const bytes = w.finish();
  w.pos = 0;
  if (w.buf.length > SCRATCH_KEEP_BYTES) scratch = protobuf.Writer.create();
  return bytes;
}

/** Records of one resource and what that resource is, for {@link encodeLogsRequest}. */
export interface ResourceGroup {
  resource: Uint8Array;
  records: readonly Uint8Array[];
}

/**
 * An `ExportLogsServiceRequest` from encoded pieces: one `ResourceLogs` per group, each with one
 * `ScopeLogs` of the given scope. Copies each piece once.
 */
export function encodeLogsRequest(groups: Iterable<ResourceGroup>, scope: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  for (const group of groups) {
    w.uint32(TAG.requestResourceLogs).fork();
    w.uint32(TAG.resourceLogsResource).bytes(group.resource);
    w.uint32(TAG.resourceLogsScopeLogs).fork();
    w.uint32(TAG.scopeLogsScope).bytes(scope);
    for (const record of group.records) w.uint32(TAG.scopeLogsLogRecord).bytes(record);
    w.ldelim().ldelim();
  }
  return w.finish();
}
