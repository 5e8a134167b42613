import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedLabel, OTHER } from '../../src/telemetry/bounded-label.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

/** The series of one metric in Prometheus text. */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('bounded metric labels', () => {
  it('keeps known values, then a capped set, then answers other; truncates every value', () => {
    const label = new BoundedLabel({ known: ['Normal'], cap: 2, maxLength: 5 });
    assert.equal(label.value('Normal'), 'Norma');
    assert.equal(label.value('a'), 'a');
    assert.equal(label.value(undefined), '');
    assert.equal(label.value('b'), OTHER);
    assert.equal(label.value('a'), 'a', 'an admitted value stays admitted');
    assert.equal(label.value('Normal'), 'Norma', 'known values do not use the cap');
  });

  it('keeps eventrouter_events_total bounded under 20,000 events with distinct type, kind, reason and namespace', async () => {
    const metrics = new Metrics({ clusterName: 'prod-eu-1' });
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    for (let i = 0; i < 20_000; i++) {
      metrics.event(`type-${i}`, `reason-${i}-${'r'.repeat(100)}`, `Kind${i}`, `ns-${i}`);
    }
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    const text = await metrics.registry.metrics();
    const events = series(text, 'eventrouter_events_total');
    // 200 reasons, 500 namespaces and 50 custom kinds are admitted in the same first events;
    // the 19,500 later ones fall into one "other" series; an ordinary event seen before keeps its own.
    assert.ok(events.length <= 502, `${events.length} series`);
    assert.ok(text.length < 200_000, `${text.length} bytes of metrics`);
    assert.ok(events.some((line) => line.includes('type="other"') && line.includes('reason="other"') && line.includes('kind="other"') && line.includes('namespace="other"')));
    assert.ok(events.some((line) => line.includes('type="Warning"') && line.includes('reason="BackOff"') && line.includes('kind="Pod"')));
    assert.ok(events.every((line) => line.includes('cluster="prod-eu-1"')));
    for (const line of events) {
      for (const [, value] of line.matchAll(/="([^"]*)"/g)) assert.ok((value ?? '').length <= 63, `label value too long in ${line}`);
    }
    const total = events.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    assert.equal(total, 20_003, 'every event is counted, in some series');
  });

  it('leaves the cluster label empty when clusterName is unset', async () => {
    const metrics = new Metrics();
    metrics.event('Normal', 'Pulled', 'Pod', 'default');
    assert.match(await metrics.registry.metrics(), /eventrouter_events_total\{cluster="",type="Normal",reason="Pulled",kind="Pod",namespace="default"\} 1/);
  });

  it('bounds malformed-input kinds that carry a value from the stream', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 1000; i++) metrics.malformedInput(`error-frame-${i}`);
    assert.ok(series(await metrics.registry.metrics(), 'eventrouter_malformed_total').length <= 51);
  });
});
