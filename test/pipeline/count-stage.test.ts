import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { CountStage } from '../../src/pipeline/count-stage.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { samples } from '../support/metric-samples.ts';

const record = (overrides: Record<string, unknown> = {}, namespace = 'default') => mapEvent(normalizeEvent(podEvent(overrides, namespace)), 'ADDED');

describe('count stage', () => {
  it('hands the record on unchanged, the same object', () => {
    const r = record();
    const before = structuredClone({ attributes: r.attributes, resource: r.resource });
    assert.equal(new CountStage(new Metrics()).process(r), r);
    assert.deepEqual({ attributes: r.attributes, resource: r.resource }, before);
  });

  it("counts each record by cluster, type, reason, involved kind and the record's namespace", async () => {
    const metrics = new Metrics({ clusterName: 'prod' });
    const stage = new CountStage(metrics);
    stage.process(record({ reason: 'BackOff', type: 'Warning' }, 'team-a'));
    stage.process(record({ reason: 'BackOff', type: 'Warning' }, 'team-a'));
    stage.process(record({ reason: 'Pulled' }, 'team-b'));
    const got = (await samples(metrics, 'eventrouter_events_total')).map((s) => [s.labels, s.value]);
    assert.deepEqual(got, [
      [{ cluster: 'prod', type: 'Warning', reason: 'BackOff', kind: 'Pod', namespace: 'team-a' }, 2],
      [{ cluster: 'prod', type: 'Normal', reason: 'Pulled', kind: 'Pod', namespace: 'team-b' }, 1],
    ]);
  });

  it('counts an event about a cluster-scoped object under an empty namespace', async () => {
    const metrics = new Metrics();
    const node = podEvent({ involvedObject: { kind: 'Node', name: 'node-1', uid: 'node-uid' }, reason: 'NodeReady' }, '');
    new CountStage(metrics).process(mapEvent(normalizeEvent(node), 'ADDED'));
    const [sample] = await samples(metrics, 'eventrouter_events_total');
    assert.deepEqual(sample?.labels, { cluster: '', type: 'Normal', reason: 'NodeReady', kind: 'Node', namespace: '' });
  });
});
