import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SinkConfig } from '../../src/config/schema.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { type FanOutHold, type SinkLane, createLane, fanOut } from '../../src/pipeline/fan-out.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { byLabel } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const record = (overrides: Record<string, unknown> = {}) => mapEvent(normalizeEvent(podEvent(overrides)), 'ADDED');

/** Sink config entries as the schema outputs them (defaults applied). */
const sinkConfigs = (...entries: Array<Record<string, unknown>>): SinkConfig[] =>
  testConfig({ sinks: entries.map((e, i) => ({ name: `s${i}`, type: 'stdout', batchTimeout: '10ms', ...e })) }).sinks ?? [];

function lanes(configs: Array<SinkConfig | undefined>, metrics = new Metrics()) {
  const sinks = configs.map((c, i) => new InMemorySink(c?.name ?? `injected-${i}`));
  const made = configs.map((config, index) => createLane({ sink: sinks[index]!, config, index, metrics, logger: silentLogger(), afterAck: async () => {} }));
  return { lanes: made, sinks, metrics };
}

/** A hold that counts what fan-out expects and what the sinks acknowledged. */
function hold(): FanOutHold & { expected: number; acknowledged: number } {
  const h = {
    expected: 0,
    acknowledged: 0,
    expect: () => void (h.expected += 1),
    done: () => void (h.acknowledged += 1),
  };
  return h;
}

const stopAll = (all: SinkLane[]) => Promise.all(all.map((l) => l.chain.stop()));

describe('fan-out', () => {
  it('makes the first sink required and the others best-effort unless configured, with routes and throttles from the config', () => {
    const configs = sinkConfigs({}, {}, { delivery: 'required', throttle: { limit: 1 } });
    const { lanes: made } = lanes([...configs, undefined]);
    assert.deepEqual(made.map((l) => l.queue.required), [true, false, true, false]);
    assert.deepEqual(made.map((l) => l.throttle !== undefined), [false, false, true, false]);
    assert.equal(made[3]!.queue.sink.name, 'injected-3');
  });

  it('queues a record for every sink whose route takes it, at once (no promise), and counts the others as filtered', async () => {
    const { lanes: made, metrics } = lanes(sinkConfigs({ match: [{ type: 'Warning' }] }, { drop: [{ reason: 'Pulled' }] }, {}));
    const h = hold();
    assert.equal(fanOut(made, record({ reason: 'Pulled', type: 'Normal' }), metrics, h), 1);
    assert.equal(fanOut(made, record({ reason: 'BackOff', type: 'Warning' }), metrics, h), 3);
    assert.deepEqual(made.map((l) => l.queue.depth), [1, 1, 2]);
    assert.deepEqual(await byLabel(metrics, 'eventrouter_records_total', 'sink', { outcome: 'filtered' }), { s0: 1, s1: 1, s2: 0 });
    await stopAll(made);
  });

  it('holds a record for each required sink it is queued for, until that sink acknowledged it; a best-effort sink never holds it', async () => {
    const { lanes: made, sinks, metrics } = lanes(sinkConfigs({}, {}));
    const h = hold();
    assert.equal(fanOut(made, record(), metrics, h, 2048), 2);
    // Expected before it is queued: the required sink may acknowledge before the next is queued.
    assert.equal(h.expected, 1);
    assert.equal(h.acknowledged, 0);
    assert.equal(made[0]!.queue.bytes, 2048);
    for (const lane of made) await lane.chain.start();
    await waitFor(() => h.acknowledged === 1 && sinks.every((s) => s.records.length === 1), 'the required sink to acknowledge');
    assert.equal(h.expected, 1);
    await stopAll(made);
  });

  it('counts what a sink throttles and does not queue it for that sink', async () => {
    const { lanes: made, metrics } = lanes(sinkConfigs({ throttle: { limit: 1, interval: '1h' } }, {}));
    const h = hold();
    const pod = { involvedObject: { kind: 'Pod', name: 'same', namespace: 'default', uid: 'same-uid' } };
    assert.equal(fanOut(made, record(pod), metrics, h), 2);
    assert.equal(fanOut(made, record(pod), metrics, h), 1);
    assert.deepEqual(made.map((l) => l.queue.depth), [1, 2]);
    assert.equal(h.expected, 1);
    assert.deepEqual(await byLabel(metrics, 'eventrouter_records_total', 'sink', { outcome: 'throttled' }), { s0: 1, s1: 0 });
    await stopAll(made);
  });

  it('waits for room in a full required queue, then queues the record there and for the sinks after it, in order', async () => {
    const { lanes: made, sinks, metrics } = lanes(sinkConfigs({ queueSize: 1 }, { delivery: 'required' }));
    const h = hold();
    assert.equal(fanOut(made, record({ reason: 'first' }), metrics, h), 2);
    const waiting = fanOut(made, record({ reason: 'second' }), metrics, h);
    assert.ok(waiting instanceof Promise, 'a full required queue makes the fan-out wait');
    // Nothing of the second record is queued anywhere while it waits.
    assert.deepEqual(made.map((l) => l.queue.depth), [1, 1]);
    assert.equal(h.expected, 2);
    for (const lane of made) await lane.chain.start();
    assert.equal(await waiting, 2);
    await waitFor(() => h.acknowledged === 4, 'both sinks to acknowledge both records');
    assert.equal(h.expected, 4);
    assert.deepEqual(sinks.map((s) => s.records.map((r) => r.event.reason)), [['first', 'second'], ['first', 'second']]);
    await stopAll(made);
  });

  it('routes to no sink at all when none takes the record: 0, nothing held', () => {
    const { lanes: made, metrics } = lanes(sinkConfigs({ match: [{ kind: 'Node' }] }));
    const h = hold();
    assert.equal(fanOut(made, record(), metrics, h), 0);
    assert.equal(h.expected, 0);
    assert.equal(fanOut([], record(), metrics, h), 0);
  });
});
