/**
 * The router's own metrics against a real Collector (issue 13, item 6): with
 * `selfMetrics.otlpEndpoint` the same instruments that /metrics serves are pushed over
 * OTLP/HTTP protobuf, the export-duration histogram included, with the router's pod as the
 * resource; the Collector decodes them and writes them out as OTLP/JSON.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type RouterProcess, attributesOf, collected, createNamespace, createSimpleEvents, e2eEnv, routerConfig, runId, scratchDir, startRouter, waitFor } from './support.ts';
import { freePort } from './peer-process.ts';


/** Every metric the Collector wrote for resources with `k8s.pod.name` = `pod`, by name (the last one written wins). */
function pushedMetrics(pod: string): Map<string, any> {
  const path = e2eEnv().EVENTROUTER_E2E_OTEL_OUT;
  const out = new Map<string, any>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes('resourceMetrics')) continue;
    let request: any;
    try {
      request = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    for (const rm of request.resourceMetrics ?? []) {
      const resource = attributesOf(rm.resource?.attributes);
      if (resource['k8s.pod.name'] !== pod) continue;
      for (const sm of rm.scopeMetrics ?? []) for (const metric of sm.metrics ?? []) out.set(metric.name, { ...metric, resource, scope: sm.scope });
    }
  }
  return out;
}

describe('the router\'s own metrics pushed to a real Collector', () => {
  let router: RouterProcess | undefined;
  before(() => void e2eEnv());
  after(async () => {
    await router?.stop('SIGKILL');
  });

  it('pushes the counters, gauges and the export-duration histogram that /metrics serves', async () => {
    const ns = runId('e2e-selfmetrics');
    const clusterName = `${ns}-c`;
    await createNamespace(ns);
    const port = await freePort();
    const config = routerConfig({
      clusterName,
      namespaces: [ns],
      extra: { server: { listen: `127.0.0.1:${port}` }, selfMetrics: { otlpEndpoint: e2eEnv().EVENTROUTER_E2E_OTLP_HTTP, interval: '1s' } },
    });
    router = startRouter(scratchDir(ns), 'router', config, { POD_NAME: ns, POD_NAMESPACE: 'observability' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 'the router ready', 60_000, () => router!.stderr.slice(-1500));
    await createSimpleEvents(ns, 'self-metrics', 10);
    await waitFor(() => collected(clusterName).length >= 10, 'the 10 events at the Collector', 60_000, () => router!.stderr.slice(-1500));

    const pushedEvents = () =>
      (pushedMetrics(ns).get('eventrouter_events_total')?.sum?.dataPoints ?? []).reduce((sum: number, p: any) => sum + Number(p.asInt ?? p.asDouble ?? 0), 0);
    await waitFor(() => pushedEvents() >= 10 && pushedMetrics(ns).has('eventrouter_export_duration_seconds'), 'a push with the 10 events and an export duration', 60_000, () => router!.stderr.slice(-1500));
    const pushed = pushedMetrics(ns);
    const any = pushed.get('eventrouter_events_total');
    assert.equal(any.resource['service.name'], 'eventrouter');
    assert.equal(any.resource['k8s.namespace.name'], 'observability');
    assert.equal(any.scope.name, 'eventrouter');
    assert.equal(any.sum.isMonotonic, true);
    assert.ok(any.sum.dataPoints.every((p: any) => attributesOf(p.attributes)['cluster'] === clusterName));
    assert.equal(pushed.get('eventrouter_leader')?.gauge?.dataPoints?.[0]?.asDouble ?? pushed.get('eventrouter_leader')?.gauge?.dataPoints?.[0]?.asInt, 1);
    const [duration] = pushed.get('eventrouter_export_duration_seconds').histogram.dataPoints;
    assert.deepEqual(attributesOf(duration.attributes), { sink: 'collector' });
    assert.deepEqual(duration.explicitBounds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    assert.ok(Number(duration.count) >= 1);
    assert.ok(pushed.has('eventrouter_process_resident_memory_bytes'), 'the process metrics are pushed too');

    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const scraped = text.split('\n').filter((line) => line.startsWith('eventrouter_events_total{')).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    assert.equal(scraped, pushedEvents(), '/metrics and the push count the same events');
    assert.match(text, /^eventrouter_export_duration_seconds_bucket\{sink="collector",le="0\.005"\} \d+$/m);
    assert.equal((await router.stop('SIGTERM')).code, 0);
  });
});
