import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENTS_SERIES_LIMIT, Metrics } from '../../src/telemetry/metrics.ts';
import { parseSamples, samples } from '../support/metric-samples.ts';

/** `count` events, each a new (reason, namespace) pair inside the label caps (200 reasons × 500 namespaces). */
function distinctEvents(metrics: Metrics, count: number): void {
  for (let i = 0; i < count; i++) metrics.event('Normal', `r${i % 200}`, 'Pod', `ns${Math.floor(i / 200)}`);
}

describe('series bounded in total, per instrument', () => {
  it('folds label sets beyond eventrouter_events_total\'s limit into one otel_metric_overflow series, and counts them', async () => {
    const metrics = new Metrics();
    const beyond = 501;
    distinctEvents(metrics, EVENTS_SERIES_LIMIT + beyond - 1);
    // A label set that has its series keeps counting there once the limit is reached.
    metrics.event('Normal', 'r0', 'Pod', 'ns0');
    const events = await samples(metrics, 'eventrouter_events_total');
    const overflow = events.filter((s) => s.labels['otel_metric_overflow'] === 'true');
    assert.equal(events.length, EVENTS_SERIES_LIMIT, 'the overflow series included, as the SDK counts its limit');
    assert.equal(overflow.length, 1);
    assert.deepEqual(Object.keys(overflow[0]!.labels), ['otel_metric_overflow'], 'the overflow series carries no other label');
    assert.equal(overflow[0]!.value, beyond);
    assert.equal(events.find((s) => s.labels['reason'] === 'r0' && s.labels['namespace'] === 'ns0')?.value, 2);
    assert.equal(events.reduce((sum, s) => sum + s.value, 0), EVENTS_SERIES_LIMIT + beyond, 'every event counted');
    assert.deepEqual(
      (await samples(metrics, 'eventrouter_metric_series_overflow_total', { instrument: 'eventrouter_events_total' })).map((s) => s.value),
      [beyond],
    );
  });

  it('keeps the SDK\'s default of 2,000 series for the other counters, a label set of many sinks included', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 2_100; i++) metrics.records.inc({ sink: `s${i}`, outcome: 'exported' }, 2);
    const records = await samples(metrics, 'eventrouter_records_total');
    assert.equal(records.length, 2_000);
    assert.equal(records.find((s) => s.labels['otel_metric_overflow'] === 'true')?.value, 202);
    assert.deepEqual((await samples(metrics, 'eventrouter_metric_series_overflow_total', { instrument: 'eventrouter_records_total' })).map((s) => s.value), [202]);
  });

  it('has the overflow counter of every counter at 0 before anything overflows', async () => {
    const counted = await samples(new Metrics(), 'eventrouter_metric_series_overflow_total');
    assert.ok(counted.some((s) => s.labels['instrument'] === 'eventrouter_events_total'));
    assert.ok(counted.some((s) => s.labels['instrument'] === 'eventrouter_records_total'));
    assert.ok(counted.every((s) => s.value === 0));
  });
});

describe('/metrics bounded in bytes, one collection for concurrent scrapes', () => {
  it('gives scrapes that arrive while one is being made the same body, and a later scrape a new one', async () => {
    const metrics = new Metrics();
    distinctEvents(metrics, 3_000);
    const bodies = await Promise.all(Array.from({ length: 8 }, () => metrics.scrape()));
    assert.ok(bodies.every((body) => body === bodies[0]), 'one buffer shared by the 8 scrapes');
    metrics.event('Warning', 'r0', 'Pod', 'late');
    const later = await metrics.scrape();
    assert.notEqual(later, bodies[0]);
    assert.match(Buffer.concat(later.chunks).toString(), /namespace="late"/);
  });

  it('leaves out a metric family that would exceed the byte limit, names it and counts it; the others are served whole', async () => {
    const metrics = new Metrics({ scrapeMaxBytes: 64 * 1024 });
    distinctEvents(metrics, 2_000);
    metrics.records.inc({ sink: 's', outcome: 'failed' });
    const body = await metrics.scrape();
    const text = Buffer.concat(body.chunks).toString();
    assert.equal(Buffer.byteLength(text), body.bytes);
    assert.ok(body.bytes <= 64 * 1024 + 200, `${body.bytes} bytes`);
    assert.doesNotMatch(text, /^eventrouter_events_total\{/m, 'no part of the family that does not fit');
    assert.match(text, /^# eventrouter: left out eventrouter_events_total: \/metrics would exceed 65536 bytes$/m);
    assert.match(text, /^eventrouter_records_total\{sink="s",outcome="failed"\} 1$/m);
    // Counted once the first body is made: the next scrape shows it.
    assert.equal(parseSamples(await metrics.text()).find((s) => s.name === 'eventrouter_metrics_truncated_total')?.value, 1);
  });
});
