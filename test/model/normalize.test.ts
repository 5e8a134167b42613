import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent, MalformedEventError } from '../../src/model/normalize.ts';

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
