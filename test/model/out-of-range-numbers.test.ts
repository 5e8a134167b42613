/**
 * Times and counts a receiver can take. An event creator picks its timestamps (kube-apiserver
 * v1.37 stores any RFC 3339 time from year 0000 to 9999, and a count of -5), a misbehaving API
 * server its numbers. OTLP carries a time as unsigned 64-bit nanoseconds since 1970 (1970 to
 * 2554) and an integer as int64: over OTLP/JSON, the Collector refuses the whole request (400,
 * "ReadUint64: ... value out of range") when one record's time or count is outside, and a
 * refused request is dropped, so one hostile event took every ordinary record of its batch.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent, settled, startApp, testConfig } from '../support/harness.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';

const MAX_NANOS = 2n ** 64n - 1n;
const nanos = (t: readonly [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** What an event creator (or a misbehaving API server, for the counts) can set, one per hostile event. */
const HOSTILE: Array<Record<string, unknown>> = [
  { lastTimestamp: '9999-12-31T23:59:59Z' },
  { lastTimestamp: '1969-12-31T23:59:59Z' },
  { firstTimestamp: '0001-01-01T00:00:01Z', lastTimestamp: null },
  { eventTime: '0000-01-01T00:00:00.000000Z', lastTimestamp: null },
  { series: { count: 3, lastObservedTime: '2600-01-01T00:00:00.000000Z' } },
  { lastTimestamp: '2030-01-01T00:00:00+23:59' },
  { count: 1e300 },
  { count: 2 ** 63 },
  { count: -(2 ** 70) },
  { count: 1.5 },
];

describe('times and counts outside what OTLP carries', () => {
  it('map to a time in [1970, 2554] and an integer count, for any RFC 3339 time and any number', () => {
    const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    const rfc3339 = fc
      .tuple(digits(4, 9999), digits(2, 12), digits(2, 31), digits(2, 23), digits(2, 59), digits(2, 59), fc.constantFrom('', '.5', '.123456', '.999999999'), fc.constantFrom('Z', '+23:59', '-23:59', '+00:00'))
      .map(([y, mo, d, h, mi, s, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone}`);
    fc.assert(
      fc.property(fc.constantFrom('lastTimestamp', 'firstTimestamp', 'eventTime'), rfc3339, fc.oneof(fc.double(), fc.integer()), (field, time, count) => {
        const raw = { metadata: { name: 'e', namespace: 'ns', uid: 'u' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'ns' }, [field]: time, count };
        const record = mapEvent(normalizeEvent(raw), 'ADDED', { observedAtMillis: 1_700_000_000_000 });
        const t = nanos(record.hrTime);
        assert.ok(t >= 0n && t <= MAX_NANOS, `${time} → ${t}`);
        assert.ok(Number.isSafeInteger(record.attributes['k8s.event.count']), `count ${count} → ${String(record.attributes['k8s.event.count'])}`);
      }),
      { numRuns: 2000 },
    );
  });

  describe('through an http/json sink to a receiver that checks them as the Collector does', () => {
    let api: FakeApiServer;
    let app: App;
    let receiver: OtlpReceiver;
    before(async () => {
      api = new FakeApiServer();
      await api.start();
      receiver = new OtlpReceiver();
      await receiver.start();
    });
    after(async () => {
      await app?.stop(2000);
      await receiver.stop();
      await api.stop();
    });

    it('delivers every ordinary event of a burst that carries hostile ones, and the hostile ones too', async () => {
      // Created before the router starts: one LIST, batches of 50 with a hostile record in each.
      const names: string[] = [];
      for (let i = 0; i < 200; i++) {
        const event = podEvent(i % 20 === 7 ? (HOSTILE[(i / 20) | 0] as Record<string, unknown>) : {});
        names.push(String((event['metadata'] as { name: string }).name));
        api.create('/api/v1/events', event);
      }
      app = await startApp({
        apiUrl: api.url,
        config: testConfig({ sinks: [{ name: 'otlp', type: 'otlp', endpoint: receiver.url, protocol: 'http/json', batchTimeout: '50ms', maxBatchSize: 50 }] }),
      });
      await settled(app, api);
      const received = receiver.logs.map((log) => String(log.attributes['k8s.event.name']));
      const missing = names.filter((name) => !received.includes(name));
      console.log(`out-of-range times and counts: ${received.length}/200 delivered, ${missing.length} missing`);
      assert.deepEqual(missing, []);
      assert.equal(received.length, 200);
    });
  });
});
