import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { OtlpMetricsExport } from '../../src/telemetry/otlp-metrics-export.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const root = protobuf.parse(readFileSync(new URL('../support/otlp-metrics.proto', import.meta.url), 'utf8'), { keepCase: false }).root;
const RequestType = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');

interface KeyValue { key: string; value?: { stringValue?: string; intValue?: number; doubleValue?: number; boolValue?: boolean } }
interface NumberPoint { attributes?: KeyValue[]; asDouble?: number; asInt?: number }
interface HistogramPoint { attributes?: KeyValue[]; count: number; sum?: number; bucketCounts: number[]; explicitBounds: number[] }
interface DecodedMetric {
  name: string;
  description: string;
  gauge?: { dataPoints: NumberPoint[] };
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
}
interface DecodedRequest {
  resourceMetrics: Array<{ resource: { attributes: KeyValue[] }; scopeMetrics: Array<{ scope: { name: string; version: string }; metrics: DecodedMetric[] }> }>;
}

const CUMULATIVE = 2;

function decode(body: Buffer): DecodedRequest {
  return RequestType.toObject(RequestType.decode(body), { longs: Number, arrays: true, defaults: true }) as DecodedRequest;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value?.stringValue ?? kv.value?.intValue ?? kv.value?.doubleValue ?? kv.value?.boolValue]));
}

function value(point: NumberPoint | undefined): number | undefined {
  return point === undefined ? undefined : (point.asDouble ?? point.asInt);
}

/** An OTLP/HTTP receiver on port 0 that keeps every request's path and body. */
async function receiver(): Promise<{ url: string; server: Server; requests: Array<{ path: string; contentType: string; body: Buffer }> }> {
  const requests: Array<{ path: string; contentType: string; body: Buffer }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

describe('the router’s own metrics over OTLP', () => {
  let server: Server | undefined;
  let exporter: OtlpMetricsExport | undefined;

  afterEach(async () => {
    await exporter?.shutdown().catch(() => undefined);
    exporter = undefined;
    server?.close();
    server = undefined;
  });

  it('pushes counters, gauges and histograms to /v1/metrics with the router as the resource', async () => {
    const rx = await receiver();
    server = rx.server;
    const metrics = new Metrics({ version: '9.9.9' });
    metrics.records.inc({ sink: 'loki', outcome: 'exported' }, 42);
    metrics.leader.set(1);
    for (const seconds of [0.003, 0.04, 0.04, 3]) metrics.exportDuration.observe({ sink: 'loki' }, seconds);
    exporter = new OtlpMetricsExport({ metrics, endpoint: `${rx.url}/`, intervalMs: 60_000, version: '9.9.9', env: { POD_NAME: 'eventrouter-0', POD_NAMESPACE: 'observability' } });
    await exporter.shutdown();
    exporter = undefined;

    assert.deepEqual(rx.requests.map((r) => [r.path, r.contentType]), [['/v1/metrics', 'application/x-protobuf']]);
    const request = decode(rx.requests[0]!.body);
    assert.equal(request.resourceMetrics.length, 1);
    const [resourceMetrics] = request.resourceMetrics;
    const resource = attributes(resourceMetrics!.resource.attributes);
    const identity = { 'service.name': 'eventrouter', 'service.version': '9.9.9', 'k8s.pod.name': 'eventrouter-0', 'k8s.namespace.name': 'observability' };
    for (const [key, expected] of Object.entries(identity)) assert.equal(resource[key], expected, key);
    const [scope] = resourceMetrics!.scopeMetrics;
    assert.deepEqual([scope!.scope.name, scope!.scope.version], ['eventrouter', '9.9.9']);
    const byName = new Map(scope!.metrics.map((m) => [m.name, m]));

    const records = byName.get('eventrouter_records_total')?.sum;
    assert.ok(records, 'eventrouter_records_total is a sum');
    assert.equal(records.isMonotonic, true);
    assert.equal(records.aggregationTemporality, CUMULATIVE);
    assert.deepEqual(records.dataPoints.map((p) => [attributes(p.attributes), value(p)]), [[{ sink: 'loki', outcome: 'exported' }, 42]]);

    assert.equal(value(byName.get('eventrouter_leader')?.gauge?.dataPoints[0]), 1);

    const duration = byName.get('eventrouter_export_duration_seconds')?.histogram;
    assert.ok(duration, 'the histogram reaches OTLP');
    assert.equal(duration.aggregationTemporality, CUMULATIVE);
    const [point] = duration.dataPoints;
    assert.deepEqual(attributes(point!.attributes), { sink: 'loki' });
    assert.deepEqual(point!.explicitBounds, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    assert.deepEqual(point!.bucketCounts, [1, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(point!.count, 4);
    assert.ok(Math.abs((point!.sum ?? 0) - 3.083) < 1e-9);
  });

  it('pushes on its interval the same cumulative values /metrics serves', async () => {
    const rx = await receiver();
    server = rx.server;
    const metrics = new Metrics();
    metrics.notification('ADDED');
    exporter = new OtlpMetricsExport({ metrics, endpoint: rx.url, intervalMs: 50, version: '0.0.0', env: {} });
    const notifications = (body: Buffer) =>
      value(decode(body).resourceMetrics[0]?.scopeMetrics[0]?.metrics.find((m) => m.name === 'eventrouter_notifications_total')?.sum?.dataPoints[0]);
    await waitFor(() => rx.requests.some((r) => notifications(r.body) === 1), 'a push with the first notification', 30_000);
    metrics.notification('ADDED');
    metrics.notification('ADDED');
    await waitFor(() => rx.requests.some((r) => notifications(r.body) === 3), 'a later push with all three', 30_000);
    assert.equal(await metricSum(metrics, 'eventrouter_notifications_total', { type: 'ADDED' }), 3, '/metrics agrees');
  });
});
