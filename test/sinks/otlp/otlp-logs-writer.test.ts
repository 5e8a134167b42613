import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import type { AttributeMap, EventRecord } from '../../../src/model/event-record.ts';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { LogRecordEncoder } from '../../../src/sinks/otlp/log-record-encoder.ts';
import { encodeResource } from '../../../src/sinks/otlp/otlp-logs-writer.ts';
import { resourceKey, toReadableLogRecords } from '../../../src/sinks/otlp/resource-grouping.ts';
import { EVENT_FIXTURES, fixtureEvents } from '../../support/fixtures.ts';

// The official message definitions (a copy of opentelemetry-proto's logs and common messages), read by protobufjs's full build.
const root = protobuf.parse(readFileSync(new URL('../../support/otlp-logs.proto', import.meta.url), 'utf8'), { keepCase: true }).root;
const Request = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');

const TEST_SCOPE = { name: 'eventrouter', version: '1.2.3' };

function decode(bytes: Uint8Array): Record<string, unknown> {
  return Request.toObject(Request.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: true, arrays: true, objects: true }) as Record<string, unknown>;
}

/** Ours and the SDK's request for the same records: compared decoded, field by field (resource, then each record), then as bytes. */
function assertSameAsSdk(records: readonly EventRecord[], label: string): void {
  const encoder = new LogRecordEncoder(TEST_SCOPE);
  const ours = encoder.request(records.map((r) => encoder.encode(r)));
  const sdk = ProtobufLogsSerializer.serializeRequest(toReadableLogRecords(records, TEST_SCOPE)) as Uint8Array;
  const a = decode(ours)['resource_logs'] as Array<Record<string, unknown>>;
  const b = decode(sdk)['resource_logs'] as Array<Record<string, unknown>>;
  assert.equal(a.length, b.length, `${label}: ResourceLogs count`);
  for (let i = 0; i < b.length; i++) {
    const ra = a[i] as Record<string, any>;
    const rb = b[i] as Record<string, any>;
    assert.deepEqual(ra['resource'], rb['resource'], `${label}: resource ${i}`);
    assert.equal(ra['scope_logs'].length, rb['scope_logs'].length, `${label}: ScopeLogs of resource ${i}`);
    for (let j = 0; j < rb['scope_logs'].length; j++) {
      const sa = ra['scope_logs'][j];
      const sb = rb['scope_logs'][j];
      assert.deepEqual(sa['scope'], sb['scope'], `${label}: scope`);
      assert.equal(sa['log_records'].length, sb['log_records'].length, `${label}: records of resource ${i}`);
      for (let k = 0; k < sb['log_records'].length; k++) {
        const la = sa['log_records'][k];
        const lb = sb['log_records'][k];
        for (const field of new Set([...Object.keys(la), ...Object.keys(lb)])) {
          assert.deepEqual(la[field], lb[field], `${label}: resource ${i}, record ${k}, field ${field}`);
        }
      }
    }
    assert.deepEqual(ra, rb, `${label}: ResourceLogs ${i}`);
  }
  assert.deepEqual(Buffer.from(ours), Buffer.from(sdk), `${label}: the same bytes`);
}

describe('OTLP protobuf writer (records encoded at enqueue, requests by concatenation)', () => {
  it('writes what the SDK serializer writes for every record of the fixture corpus', () => {
    let total = 0;
    for (const name of EVENT_FIXTURES) {
      const records = fixtureEvents(name).flatMap((raw, i) => {
        const event = normalizeEvent(raw);
        return [mapEvent(event, 'ADDED', { clusterName: 'fixtures', maxBodyLength: 32_768 }), mapEvent(event, i % 2 === 0 ? 'UPDATED' : 'DELETED')];
      });
      assert.ok(records.length > 0, `${name} has events`);
      total += records.length;
      assertSameAsSdk(records, name);
    }
    assert.ok(total > 300, `the corpus was read (${total} records)`);
  });

  it('encodes the next records as the SDK does after a record that threw half-way and after a 256 KiB one (one writer is reused)', () => {
    const records = fixtureEvents(EVENT_FIXTURES[0] as string).map((raw) => mapEvent(normalizeEvent(raw), 'ADDED', { clusterName: 'fixtures', maxBodyLength: 32_768 }));
    const encoder = new LogRecordEncoder(TEST_SCOPE);
    const first = records[0] as EventRecord;
    const hostile = { get boom(): string { throw new Error('getter'); } };
    assert.throws(() => encoder.encode({ ...first, attributes: { ...first.attributes, 'k8s.event.extra': { nested: hostile } } }), /getter/);
    assertSameAsSdk(records, 'after a throw');
    const big = { ...first, body: 'x'.repeat(256 * 1024) };
    assertSameAsSdk([big], 'a large record');
    assertSameAsSdk(records, 'after a large record');
  });

  it('writes what the SDK serializer writes for generated records (unicode with lone surrogates, empty strings, every value type, int64 times)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'binary', minLength: 100, maxLength: 300 }),
      fc.constantFrom('', '\uD800', 'a\uDC00b', '\uDBFF\uDFFF', 'é', '語'),
    );
    const value = fc.oneof(
      text,
      fc.boolean(),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: false }),
      fc.array(text, { maxLength: 3 }),
    );
    const attributes = fc.dictionary(text, value, { maxKeys: 12 }) as fc.Arbitrary<AttributeMap>;
    const time = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 999_999_999 }));
    const record = fc.record({
      resource: fc.oneof(attributes, fc.constant({ 'k8s.namespace.name': 'default', 'k8s.pod.name': 'p' })),
      hrTime: time,
      hrTimeObserved: time,
      severityNumber: fc.integer({ min: 0, max: 24 }),
      severityText: fc.option(text, { nil: undefined }),
      body: text,
      eventName: text,
      attributes,
      uid: text,
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (generated) => {
        const records = generated.map(
          ({ uid, ...r }) => ({ ...r, verb: 'ADDED', dedupeKey: `${uid}/1`, event: { uid, namespace: 'ns', name: 'n' } }) as unknown as EventRecord,
        );
        assertSameAsSdk(records, 'generated');
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out an own `__proto__` key of a resource, as the SDK does (found by the generated records, seed 1038940286)', () => {
    const base = mapEvent(normalizeEvent(fixtureEvents(EVENT_FIXTURES[0] as string)[0] as never), 'ADDED');
    const resource = JSON.parse('{"__proto__": 0, "k8s.namespace.name": "default"}') as AttributeMap;
    assert.ok(Object.hasOwn(resource, '__proto__'), 'an own key, as JSON.parse makes it');
    assertSameAsSdk([{ ...base, resource }], '__proto__ resource');
  });

  it('gives each record the Resource of its own attributes when records of one object differ in them', () => {
    const encoder = new LogRecordEncoder(TEST_SCOPE);
    const base = mapEvent(normalizeEvent(fixtureEvents(EVENT_FIXTURES[0] as string)[0] as never), 'ADDED');
    assert.equal(typeof base.resource['k8s.object.uid'], 'string', 'the fixture names its object');
    const variant = (resource: AttributeMap): EventRecord => ({ ...base, resource });
    const records = [
      base,
      variant({ ...base.resource, 'k8s.container.name': 'sidecar' }),
      base,
      variant({ ...base.resource, 'k8s.namespace.name': `${String(base.resource['k8s.namespace.name'])}x` }),
      variant({ ...base.resource, 'service.name': 'a\u0000b\u0001' }),
      variant({ ...base.resource, 'k8s.replica.count': 1 }),
      variant(Object.fromEntries(Object.entries(base.resource).slice(0, -1))),
      base,
    ];
    for (const [i, record] of records.entries()) {
      const item = encoder.encode(record);
      assert.equal(item.resource.key, resourceKey(record.resource), `record ${i}: key`);
      assert.deepEqual(item.resource.bytes, encodeResource(record.resource), `record ${i}: resource bytes`);
    }
    assertSameAsSdk(records, 'variants of one object');
  });

  it('keeps one encoded Resource per involved object and one ResourceLogs per object in a request', () => {
    const encoder = new LogRecordEncoder(TEST_SCOPE);
    const raw = fixtureEvents(EVENT_FIXTURES[0] as string);
    const records = raw.map((r) => mapEvent(normalizeEvent(r), 'ADDED'));
    const items = records.map((r) => encoder.encode(r));
    const objects = new Set(records.map((r) => JSON.stringify(r.resource)));
    assert.equal(new Set(items.map((i) => i.resource)).size, objects.size, 'one encoded Resource per distinct resource');
    assert.equal((decode(encoder.request(items))['resource_logs'] as unknown[]).length, objects.size);
    // Each item is counted by what it adds to a request at most, so a batch cap on the sum bounds the request.
    const sum = items.reduce((n, i) => n + i.size, 0);
    assert.ok(encoder.request(items).length <= sum, `request ${encoder.request(items).length} B <= counted ${sum} B`);
    for (const item of items) assert.ok(encoder.request([item]).length <= item.size, 'a record alone fits its count');
  });
});
