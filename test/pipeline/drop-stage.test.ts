import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { DropStage } from '../../src/pipeline/drop-stage.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';

const record = (overrides: Record<string, unknown> = {}, namespace = 'default') => mapEvent(normalizeEvent(podEvent(overrides, namespace)), 'ADDED');
const rules = (drop: unknown[]) => testConfig({ drop }).drop;

describe('drop stage', () => {
  it('with no rules hands every record on, the same object, and counts nothing', async () => {
    const metrics = new Metrics();
    const stage = new DropStage(rules([]), metrics);
    const r = record();
    assert.equal(stage.process(r), r);
    assert.equal(await metricSum(metrics, 'eventrouter_records_dropped_by_rule_total'), 0);
  });

  it('ends a record that any rule matches and counts it; hands on the others', async () => {
    const metrics = new Metrics();
    const stage = new DropStage(rules([{ reason: 'Pulled' }, { namespace: 'kube-*', type: 'Normal' }]), metrics);
    assert.equal(stage.process(record({ reason: 'Pulled' })), undefined);
    assert.equal(stage.process(record({ reason: 'Started' }, 'kube-system')), undefined);
    const warning = record({ reason: 'BackOff', type: 'Warning' }, 'kube-system');
    assert.equal(stage.process(warning), warning);
    const other = record({ reason: 'Started' }, 'default');
    assert.equal(stage.process(other), other);
    assert.equal(await metricSum(metrics, 'eventrouter_records_dropped_by_rule_total'), 2);
  });

  it('needs every condition of a rule to hold', () => {
    const stage = new DropStage(rules([{ reason: 'BackOff', kind: 'Node' }]), new Metrics());
    assert.notEqual(stage.process(record({ reason: 'BackOff' })), undefined);
  });
});
