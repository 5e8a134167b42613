import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { LocalOtlpReceivers } from '../../src/sim/local-otlp-receivers.ts';
import { freePort } from '../support/free-port.ts';
import { testConfig } from '../support/harness.ts';

const sinks = (...entries: Array<Record<string, unknown>>) => testConfig({ sinks: entries.map((e, i) => ({ name: `s${i}`, type: 'otlp', ...e })) }).sinks ?? [];

async function post(url: string, contentType = 'application/x-protobuf', method = 'POST'): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url, { method, headers: { 'content-type': contentType }, ...(method === 'POST' ? { body: new Uint8Array([1, 2, 3]) } : {}) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('local OTLP receivers (the demo)', () => {
  let receivers: LocalOtlpReceivers | undefined;
  let taken: Server | undefined;
  afterEach(async () => {
    await receivers?.stop();
    receivers = undefined;
    await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
    taken = undefined;
  });

  it('stands in for an OTLP/HTTP sink on a free loopback port: acknowledges POST …/v1/logs in its encoding and counts the requests', async () => {
    const port = await freePort();
    receivers = new LocalOtlpReceivers();
    await receivers.start(sinks({ endpoint: `http://127.0.0.1:${port}`, protocol: 'http/protobuf' }));
    assert.deepEqual(receivers.receivers, [{ sink: 's0', endpoint: `http://127.0.0.1:${port}`, requests: 0 }]);
    assert.deepEqual(await post(`http://127.0.0.1:${port}/v1/logs`), { status: 200, type: 'application/x-protobuf', body: '' });
    assert.deepEqual(await post(`http://127.0.0.1:${port}/prefix/v1/logs`, 'application/json'), { status: 200, type: 'application/json', body: '{}' });
    assert.equal(receivers.receivers[0]!.requests, 2);
  });

  it('answers 404 to anything but POST …/v1/logs, and does not count it', async () => {
    const port = await freePort();
    receivers = new LocalOtlpReceivers();
    await receivers.start(sinks({ endpoint: `http://localhost:${port}/v1/logs` }));
    assert.equal((await post(`http://localhost:${port}/v1/traces`)).status, 404);
    assert.equal((await post(`http://localhost:${port}/v1/logs`, 'application/x-protobuf', 'GET')).status, 404);
    assert.equal(receivers.receivers[0]!.requests, 0);
  });

  it('leaves alone a port something already listens on: the real local Collector gets the records', async () => {
    let real = 0;
    taken = createServer((req, res) => (real++, req.resume(), res.writeHead(202).end()));
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const free = await freePort();
    receivers = new LocalOtlpReceivers();
    await receivers.start(sinks({ endpoint: `http://127.0.0.1:${port}` }, { endpoint: `http://127.0.0.1:${free}` }));
    assert.deepEqual(receivers.receivers.map((r) => r.sink), ['s1']);
    assert.equal((await post(`http://127.0.0.1:${port}/v1/logs`)).status, 202);
    assert.equal(real, 1);
  });

  it('leaves alone gRPC sinks, HTTPS endpoints, remote hosts and sinks of other kinds', async () => {
    const port = await freePort();
    receivers = new LocalOtlpReceivers();
    await receivers.start([
      ...sinks(
        { endpoint: `http://127.0.0.1:${port}`, protocol: 'grpc' },
        { endpoint: `https://127.0.0.1:${port}` },
        { endpoint: `http://collector.example:${port}` },
      ),
      ...(testConfig({ sinks: [{ name: 'out', type: 'stdout' }] }).sinks ?? []),
    ]);
    assert.deepEqual(receivers.receivers, []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST' }));
  });

  it('frees its ports when stopped, open connections included', async () => {
    const port = await freePort();
    receivers = new LocalOtlpReceivers();
    await receivers.start(sinks({ endpoint: `http://127.0.0.1:${port}` }));
    // A keep-alive connection stays open after its answer.
    assert.equal((await post(`http://127.0.0.1:${port}/v1/logs`)).status, 200);
    await receivers.stop();
    receivers = undefined;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST' }));
  });
});
