import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { HttpServer, ListenError, createHttpServer } from '../../src/server/http-server.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

const healthy = () => ({ alive: true, ready: false, details: { role: 'leader', synced: false } });

describe('HttpServer', () => {
  it('starts, serves /metrics, /healthz and /readyz, shuts down, and shutting down twice is harmless', async () => {
    const counted = new Metrics();
    counted.records.inc({ sink: 'otlp', outcome: 'exported' }, 7);
    const server = new HttpServer('127.0.0.1:0', { metrics: counted, health: healthy });
    await server.start();
    const base = `http://${server.address}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503, 'not synced yet: out of the Service');
    assert.deepEqual(await ready.json(), { status: 'unavailable', role: 'leader', synced: false });
    const metrics = await fetch(`${base}/metrics?x=1`);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await metrics.text(), /^eventrouter_records_total\{sink="otlp",outcome="exported"\} 7$/m);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    await server.shutdown();
    await assert.rejects(fetch(`${base}/healthz`), 'nothing listens after shutdown');
    await server.shutdown();
  });

  it('says degraded on /readyz (still 200) and lists the problems when a ready pod has some; /healthz stays ok', async () => {
    const health = () => ({ alive: true, ready: true, problems: ['sink collector has delivered nothing for more than 5m while records wait'], details: { role: 'leader' } });
    const server = new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health });
    await server.start();
    try {
      const ready = await fetch(`http://${server.address}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'degraded', problems: ['sink collector has delivered nothing for more than 5m while records wait'], role: 'leader' });
      const live = await fetch(`http://${server.address}/healthz`);
      assert.equal(live.status, 200);
      assert.equal(((await live.json()) as { status: string }).status, 'ok');
    } finally {
      await server.shutdown();
    }
  });

  it('can be shut down without having started', async () => {
    await new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health: healthy }).shutdown();
  });

  it('names server.listen when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const server = new HttpServer(`127.0.0.1:${port}`, { metrics: new Metrics(), health: healthy });
    try {
      await assert.rejects(server.start(), (error: unknown) => error instanceof ListenError && error.code === 'EADDRINUSE' && /server\.listen/.test(error.message));
    } finally {
      await server.shutdown();
      holder.close();
    }
  });

  it('serves /metrics on server.metricsListen alone when it is set, and the probes stay on server.listen', async () => {
    const server = new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health: healthy }, { metricsListen: '127.0.0.1:0' });
    await server.start();
    try {
      assert.notEqual(server.metricsAddress, server.address);
      assert.equal((await fetch(`http://${server.address}/metrics`)).status, 404, 'not on server.listen any more');
      assert.equal((await fetch(`http://${server.address}/healthz`)).status, 200);
      const metrics = await fetch(`http://${server.metricsAddress}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^eventrouter_metric_series_overflow_total\{instrument="eventrouter_events_total"\} 0$/m);
      assert.equal((await fetch(`http://${server.metricsAddress}/healthz`)).status, 404, 'the metrics address serves /metrics only');
    } finally {
      await server.shutdown();
    }
  });

  it('serves no /metrics with server.metricsListen empty, and only /metrics with server.listen empty', async () => {
    const probesOnly = createHttpServer({ listen: '127.0.0.1:0', metricsListen: '' }, { metrics: new Metrics(), health: healthy })!;
    await probesOnly.start();
    try {
      assert.equal(probesOnly.metricsAddress, undefined);
      assert.equal((await fetch(`http://${probesOnly.address}/metrics`)).status, 404);
      assert.equal((await fetch(`http://${probesOnly.address}/readyz`)).status, 503);
    } finally {
      await probesOnly.shutdown();
    }
    const metricsOnly = createHttpServer({ listen: '', metricsListen: '127.0.0.1:0' }, { metrics: new Metrics(), health: healthy })!;
    await metricsOnly.start();
    try {
      assert.equal(metricsOnly.address, undefined);
      assert.equal((await fetch(`http://${metricsOnly.metricsAddress}/metrics`)).status, 200);
    } finally {
      await metricsOnly.shutdown();
    }
    assert.equal(createHttpServer({ listen: '', metricsListen: '' }, { metrics: new Metrics(), health: healthy }), undefined);
  });

  it('names server.metricsListen when its port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const server = new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health: healthy }, { metricsListen: `127.0.0.1:${port}` });
    try {
      await assert.rejects(server.start(), (error: unknown) => error instanceof ListenError && error.key === 'server.metricsListen' && /^server\.metricsListen: /.test(error.message));
    } finally {
      await server.shutdown();
      holder.close();
    }
  });

  it('is not created when server.listen is empty', () => {
    assert.equal(createHttpServer({ listen: '' }, { metrics: new Metrics(), health: healthy }), undefined);
    assert.ok(createHttpServer({ listen: '127.0.0.1:0' }, { metrics: new Metrics(), health: healthy }) instanceof HttpServer);
  });
});
