import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { OtlpMetricsExport } from '../../src/telemetry/otlp-metrics-export.ts';

describe('the router’s own metrics over OTLP', () => {
  it('pushes the Prometheus counters and gauges to /v1/metrics with the router as the resource', async () => {
    const bodies: Buffer[] = [];
    const paths: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        paths.push(req.url ?? '');
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const metrics = new Metrics();
    metrics.records.inc({ sink: 'loki', outcome: 'exported' }, 42);
    metrics.leader.set(1);
    const exporter = new OtlpMetricsExport({ metrics, endpoint: url, intervalMs: 60_000, version: '9.9.9', env: { POD_NAME: 'eventrouter-0', POD_NAMESPACE: 'observability' } });
    await exporter.shutdown();
    server.close();
    assert.deepEqual(paths, ['/v1/metrics']);
    // Protobuf strings are stored verbatim: the names, labels and resource are in the request.
    const text = bodies[0]!.toString('latin1');
    for (const expected of ['eventrouter_records_total', 'loki', 'exported', 'eventrouter_leader', 'eventrouter-0', 'observability', 'service.name', '9.9.9']) {
      assert.ok(text.includes(expected), `${expected} missing from the OTLP request`);
    }
  });
});
