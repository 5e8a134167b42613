import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthMetrics } from '../../src/telemetry/health-metrics.ts';
import { testMeter } from '../support/meter-reader.ts';

const sink = (name: string, stalled: boolean) => ({ sink: name, oldestQueuedAgeSeconds: 0, consecutiveFailures: 0, stalled });

describe('health metrics', () => {
  it('on its own reports no sink and no leaderless time', async () => {
    const { meter, points } = testMeter();
    new HealthMetrics(meter);
    assert.deepEqual(await points('eventrouter_sink_stalled'), []);
    assert.deepEqual(await points('eventrouter_leaderless_seconds'), [{ attributes: {}, value: 0 }]);
  });

  it('reads the sinks and the leaderless time at each collection: the current values, not those of the last delivery', async () => {
    const { meter, points } = testMeter();
    const health = new HealthMetrics(meter);
    let stalled = false;
    let leaderless = 0;
    health.sinks = () => [sink('a', stalled), sink('b', false)];
    health.leaderlessSeconds = () => leaderless;
    assert.deepEqual(await points('eventrouter_sink_stalled'), [
      { attributes: { sink: 'a' }, value: 0 },
      { attributes: { sink: 'b' }, value: 0 },
    ]);
    stalled = true;
    leaderless = 12.5;
    assert.deepEqual((await points('eventrouter_sink_stalled')).find((p) => p.attributes['sink'] === 'a')?.value, 1);
    assert.deepEqual(await points('eventrouter_leaderless_seconds'), [{ attributes: {}, value: 12.5 }]);
  });

  it('reads 0 for a sink once the term that had it ended (standby): a stalled sink of the last term does not stay stalled', async () => {
    const { meter, points } = testMeter();
    const health = new HealthMetrics(meter);
    health.sinks = () => [sink('a', true)];
    assert.deepEqual(await points('eventrouter_sink_stalled'), [{ attributes: { sink: 'a' }, value: 1 }]);
    health.sinks = () => [];
    assert.deepEqual(await points('eventrouter_sink_stalled'), [{ attributes: { sink: 'a' }, value: 0 }]);
  });
});
