import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { compareResourceVersions, isNewerThan } from '../../src/source/resource-version.ts';
import { normalizeEvent, MalformedEventError } from '../../src/model/normalize.ts';
import { mapEvent } from '../../src/model/map-event.ts';

describe('watch frame parser', () => {
  it('reads the API server\'s 410 ERROR frames as ERROR frames with code and reason', () => {
    // The Status objects a kube-apiserver writes in-stream when a watch's resourceVersion is
    // compacted away: the etcd watcher's `Expired` and the older `Gone`, with the servers' own
    // messages. Built here rather than read from captures whose licence is not on record
    // (test/fixtures/real-events/README.md).
    const status = (message: string, reason: string) =>
      JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: 410 } });
    const lines = [
      status('The resourceVersion for the provided watch is too old.', 'Expired'),
      status('too old resource version: 1312242788 (1474332294)', 'Gone'),
      status('too old resource version: 10000 (343914)', 'Expired'),
    ];
    const frames = lines.map(parseWatchFrame);
    assert.deepEqual(frames.map((f) => f.type === 'ERROR' && [f.code, f.reason]), [[410, 'Expired'], [410, 'Gone'], [410, 'Expired']]);
  });

  it('reads bookmarks and refuses a bookmark without a resourceVersion', () => {
    assert.deepEqual(parseWatchFrame('{"type":"BOOKMARK","object":{"kind":"Event","metadata":{"resourceVersion":"12"}}}'), { type: 'BOOKMARK', resourceVersion: '12' });
    assert.equal(parseWatchFrame('{"type":"BOOKMARK","object":{}}').type, 'MALFORMED');
  });

  it('never throws, whatever the line (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (line) => {
        const frame = parseWatchFrame(line);
        assert.ok(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'MALFORMED'].includes(frame.type));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the object-carrying frames of the three data types (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('ADDED', 'MODIFIED', 'DELETED'), fc.dictionary(fc.string(), fc.jsonValue()), (type, object) => {
        const frame = parseWatchFrame(JSON.stringify({ type, object }));
        assert.equal(frame.type, type);
      }),
    );
  });
});

describe('normalize and map hostile objects', () => {
  const hostileEvent = fc.record(
    {
      apiVersion: fc.oneof(fc.constant('v1'), fc.constant('events.k8s.io/v1'), fc.string()),
      metadata: fc.record({ name: fc.string(), uid: fc.string(), namespace: fc.option(fc.string()), resourceVersion: fc.oneof(fc.string(), fc.integer()), creationTimestamp: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())) }, { requiredKeys: [] }),
      involvedObject: fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom('kind', 'name', 'namespace', 'uid', 'apiVersion', 'fieldPath', 'resourceVersion'), fc.oneof(fc.string(), fc.integer(), fc.constant(null)))),
      regarding: fc.dictionary(fc.constantFrom('kind', 'name', 'namespace'), fc.string()),
      message: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      note: fc.string(),
      count: fc.oneof(fc.integer(), fc.double(), fc.string()),
      series: fc.oneof(fc.constant(null), fc.record({ count: fc.oneof(fc.integer(), fc.string()), lastObservedTime: fc.string() }, { requiredKeys: [] })),
      type: fc.string(),
      eventTime: fc.oneof(fc.string(), fc.constant(null), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
      lastTimestamp: fc.oneof(fc.string(), fc.constant(null), fc.constant('9999-12-31T23:59:59Z'), fc.constant('0001-01-01T00:00:00Z')),
      labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 50 }),
    },
    { requiredKeys: [] },
  );

  it('either maps an object or rejects it with MalformedEventError, never anything else (property)', () => {
    fc.assert(
      fc.property(fc.oneof(hostileEvent, fc.jsonValue()), (raw) => {
        try {
          const record = mapEvent(normalizeEvent(raw), 'ADDED');
          assert.equal(typeof record.body, 'string');
          assert.ok(Number.isFinite(record.hrTime[0]) && Number.isFinite(record.hrTime[1]));
          for (const value of Object.values(record.resource)) assert.ok(['string', 'number', 'boolean'].includes(typeof value));
        } catch (error) {
          assert.ok(error instanceof MalformedEventError, String(error));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('resourceVersion comparison', () => {
  it('compares integer resourceVersions numerically, not as strings', () => {
    assert.equal(compareResourceVersions('9', '10'), -1);
    assert.equal(compareResourceVersions('100', '100'), 0);
    assert.equal(compareResourceVersions('abc', '10'), undefined);
    assert.equal(isNewerThan('10', '9'), true);
    assert.equal(isNewerThan('9', '10'), false);
    assert.equal(isNewerThan('x', '10'), true, 'undecidable: deliver (at-least-once)');
  });

  it('agrees with BigInt order for any two integers (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b) => {
        assert.equal(compareResourceVersions(String(a), String(b)), a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});
