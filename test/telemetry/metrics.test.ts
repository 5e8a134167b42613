import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { metricSum, parseSamples, samples } from '../support/metric-samples.ts';

/** The series of one metric in Prometheus text. */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

/** `name → label names` of every metric the README's "Metrics:" paragraph documents. */
function documentedMetrics(): Map<string, string[]> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\nMetrics: ');
  const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
  const out = new Map<string, string[]>();
  for (const [, name, labels] of paragraph.matchAll(/`(eventrouter_\w+)(?:\{([^}]*)\})?`/g)) {
    out.set(name!, labels === undefined ? [] : labels.split(','));
  }
  return out;
}

/** A Metrics with one value in every metric. */
function everyMetricSet(): Metrics {
  const metrics = new Metrics({ clusterName: 'c' });
  metrics.notification('ADDED');
  metrics.malformedInput('invalid-json');
  metrics.watchRestarts.inc({ cause: 'closed' });
  metrics.records.inc({ sink: 's', outcome: 'exported' }, 3);
  metrics.exportRetries.inc({ sink: 's' });
  metrics.queueDepthSources.set('s', () => 4);
  metrics.sinkHealthSources.set('s', () => ({ lastSuccessAt: 1_700_000_000_000, oldestQueuedAt: Date.now() - 1000, consecutiveFailures: 2 }));
  metrics.exportDuration.observe({ sink: 's' }, 0.2);
  metrics.event('Normal', 'Pulled', 'Pod', 'default');
  metrics.checkpointResourceVersion.set({ scope: '*' }, 100);
  metrics.checkpointLagSeconds.set(2);
  metrics.checkpointLagResourceVersions.set({ scope: '*' }, 5);
  metrics.checkpointWrites.inc({ outcome: 'ok' });
  metrics.checkpointDiscarded.inc({ reason: 'other-cluster' });
  metrics.checkpointHealthy.set(1);
  metrics.enrichLookups.inc({ outcome: 'ok' });
  metrics.leader.set(1);
  metrics.lastEventSeconds.set(1_700_000_000);
  metrics.health.sinks = () => [{ sink: 's', lastSuccessAt: 1_700_000_000_000, oldestQueuedAgeSeconds: 3, consecutiveFailures: 2, stalled: false }];
  return metrics;
}

describe('the router\'s metrics on /metrics', () => {
  it('serves every metric the README documents, under its name and with its labels, and no other', async () => {
    const text = await everyMetricSet().withProcessMetrics().text();
    const served = new Map<string, Set<string>>();
    for (const sample of parseSamples(text)) {
      const name = sample.name.replace(/_(bucket|sum|count)$/, (suffix) => (text.includes(`# TYPE ${sample.name.slice(0, -suffix.length)} histogram`) ? '' : suffix));
      const labels = served.get(name) ?? new Set<string>();
      for (const label of Object.keys(sample.labels)) if (label !== 'le') labels.add(label);
      served.set(name, labels);
    }
    const documented = documentedMetrics();
    assert.ok(documented.size >= 26, `${documented.size} metrics found in the README`);
    for (const [name, labels] of documented) assert.deepEqual([...(served.get(name) ?? ['(not served)'])].sort(), [...labels].sort(), name);
    assert.deepEqual([...served.keys()].filter((name) => !documented.has(name)), []);
  });

  it('has the types Prometheus had, labels in their documented order, and no scope labels or target_info', async () => {
    const text = await everyMetricSet().text();
    assert.match(text, /^# TYPE eventrouter_records_total counter$/m);
    assert.match(text, /^# TYPE eventrouter_queue_depth gauge$/m);
    assert.match(text, /^# TYPE eventrouter_export_duration_seconds histogram$/m);
    assert.match(text, /^eventrouter_records_total\{sink="s",outcome="exported"\} 3$/m);
    assert.match(text, /^eventrouter_events_total\{cluster="c",type="Normal",reason="Pulled",kind="Pod",namespace="default"\} 1$/m);
    assert.doesNotMatch(text, /otel_\w+=|target_info|_total_total/);
  });

  it('keeps the histogram buckets of eventrouter_export_duration_seconds', async () => {
    const metrics = new Metrics();
    for (const seconds of [0.001, 0.02, 0.02, 0.3, 7, 60]) metrics.exportDuration.observe({ sink: 'a' }, seconds);
    const buckets = await samples(metrics, 'eventrouter_export_duration_seconds_bucket', { sink: 'a' });
    assert.deepEqual(
      buckets.map((b) => [b.labels['le'], b.value]),
      [['0.005', 1], ['0.01', 1], ['0.025', 3], ['0.05', 3], ['0.1', 3], ['0.25', 3], ['0.5', 4], ['1', 4], ['2.5', 4], ['5', 4], ['10', 5], ['+Inf', 6]],
    );
    assert.equal(await metricSum(metrics, 'eventrouter_export_duration_seconds_count', { sink: 'a' }), 6);
    assert.ok(Math.abs((await metricSum(metrics, 'eventrouter_export_duration_seconds_sum', { sink: 'a' })) - 67.341) < 1e-9);
  });

  it('reports 0 for a gauge without labels before it is set, and nothing for a labelled metric never counted', async () => {
    const text = await new Metrics().text();
    assert.match(text, /^eventrouter_leader 0$/m);
    assert.match(text, /^eventrouter_checkpoint_lag_seconds 0$/m);
    assert.equal(series(text, 'eventrouter_records_total').length, 0);
  });

  it('goes on counting across scrapes: counters are cumulative, gauges the last value', async () => {
    const metrics = new Metrics();
    metrics.notification('ADDED');
    metrics.records.inc({ sink: 's', outcome: 'filtered' });
    metrics.leader.set(1);
    await metrics.text();
    metrics.notification('ADDED');
    metrics.notification('ADDED');
    metrics.records.inc({ sink: 's', outcome: 'filtered' }, 5);
    metrics.leader.set(0);
    assert.equal(await metricSum(metrics, 'eventrouter_notifications_total', { type: 'ADDED' }), 3);
    assert.equal(await metricSum(metrics, 'eventrouter_records_total', { sink: 's', outcome: 'filtered' }), 6);
    assert.equal(await metricSum(metrics, 'eventrouter_leader'), 0);
    assert.equal(metrics.records.value({ sink: 's' }), 6, 'the counter reads back without a collection (replay summary)');
  });

  it('keeps eventrouter_events_total bounded under 20,000 events with distinct type, kind, reason and namespace', async () => {
    const metrics = new Metrics({ clusterName: 'prod-eu-1' });
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    for (let i = 0; i < 20_000; i++) {
      metrics.event(`type-${i}`, `reason-${i}-${'r'.repeat(100)}`, `Kind${i}`, `ns-${i}`);
    }
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    metrics.event('Warning', 'BackOff', 'Pod', 'default');
    const text = await metrics.text();
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

  it('keeps every series the bounded labels admit, beyond the SDK\'s default limit of 2,000', async () => {
    const metrics = new Metrics();
    // 200 reasons × 13 namespaces: 2,600 combinations, each within the label caps.
    for (let i = 0; i < 2600; i++) metrics.event('Normal', `r${i % 200}`, 'Pod', `ns${Math.floor(i / 200)}`);
    const events = await samples(metrics, 'eventrouter_events_total');
    assert.equal(events.length, 2600);
    assert.ok(events.every((s) => s.value === 1 && s.labels['reason'] !== 'other'));
  });

  it('leaves the cluster label empty when clusterName is unset', async () => {
    const metrics = new Metrics();
    metrics.event('Normal', 'Pulled', 'Pod', 'default');
    assert.match(await metrics.text(), /eventrouter_events_total\{cluster="",type="Normal",reason="Pulled",kind="Pod",namespace="default"\} 1/);
  });

  it('bounds malformed-input kinds that carry a value from the stream', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 1000; i++) metrics.malformedInput(`error-frame-${i}`);
    assert.ok(series(await metrics.text(), 'eventrouter_malformed_total').length <= 51);
  });

  it('adds the process metrics under their former names, once however often asked', async () => {
    const metrics = new Metrics().withProcessMetrics().withProcessMetrics();
    const text = await metrics.text();
    const names = parseSamples(text).map((s) => s.name).filter((name) => /^eventrouter_(process|nodejs)_/.test(name));
    assert.equal(new Set(names).size, names.length, 'each process metric once');
    for (const name of ['eventrouter_process_cpu_user_seconds_total', 'eventrouter_process_cpu_system_seconds_total', 'eventrouter_process_cpu_seconds_total', 'eventrouter_process_resident_memory_bytes', 'eventrouter_process_start_time_seconds', 'eventrouter_nodejs_heap_size_used_bytes', 'eventrouter_nodejs_heap_size_total_bytes', 'eventrouter_nodejs_external_memory_bytes', 'eventrouter_nodejs_eventloop_lag_seconds']) {
      assert.ok(names.includes(name), `${name} missing`);
    }
    assert.ok((await metricSum(metrics, 'eventrouter_process_resident_memory_bytes')) > 1_000_000);
    assert.match(text, /^# TYPE eventrouter_process_cpu_seconds_total counter$/m);
  });
});
