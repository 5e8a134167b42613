import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { RetrySender } from '../../../src/sinks/retry-sender.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { Metrics } from '../../../src/telemetry/metrics.ts';
import { capturingLogger } from '../../support/capturing-logger.ts';
import { podEvent } from '../../support/harness.ts';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';
import { otlpSink } from '../../support/sinks.ts';
import { makePki } from '../../support/certs.ts';
import { grpcReceiver } from '../../support/grpc-receiver.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtlpSink } from '../../../src/sinks/otlp/otlp-sink.ts';
import type { OtlpSettings } from '../../../src/sinks/otlp/otlp-settings.ts';
import { encodeEmptyLogsResponse, encodePartialSuccessResponse } from '../../support/otlp-receiver.ts';
import { closeServer } from '../../support/http-server.ts';
import { freePort } from '../../support/free-port.ts';

const records = (n = 1) => Array.from({ length: n }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));

/** The router's layering over `sink`, with waits that return at once and are recorded. */
function retrying(sink: Sink) {
  const { logger, entries } = capturingLogger();
  const waits: number[] = [];
  const sender = new RetrySender({ sink, initialBackoffMs: 10, maxBackoffMs: 20, sleep: async (ms) => void waits.push(ms), metrics: new Metrics(), logger });
  return { sender, waits, retryLogs: () => entries.filter((e) => e['msg'] === 'export failed; retrying') };
}

describe('OTLP sink', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  after(async () => receiver.stop());
  afterEach(() => receiver.reset());

  it('makes one request per attempt of the retry sender and waits exactly the Retry-After (no nested retries)', async () => {
    receiver.behaviours.push({ kind: 'status', status: 503, retryAfterSeconds: 2 });
    const sink = otlpSink({ endpoint: receiver.url });
    await sink.start();
    const { sender, waits, retryLogs } = retrying(sink);
    assert.equal(await sender.send(records(3), new AbortController().signal), true);
    assert.equal(receiver.attempts, 2, 'the 503, then the retry that succeeded');
    assert.equal(receiver.logs.length, 3);
    assert.deepEqual(waits, [2000]);
    assert.equal(retryLogs()[0]?.['retryInMs'], 2000);
    assert.equal(retryLogs()[0]?.['code'], 'E_EXPORT_STATUS');
    await sink.shutdown();
  });

  it('reports a 400 as a permanent refusal after exactly one request', async () => {
    receiver.behaviours.push({ kind: 'status', status: 400 });
    const sink = otlpSink({ endpoint: receiver.url });
    await sink.start();
    const { sender, waits } = retrying(sink);
    assert.equal(await sender.send(records(), new AbortController().signal), true);
    assert.equal(receiver.attempts, 1);
    assert.deepEqual(waits, []);
    receiver.behaviours.push({ kind: 'status', status: 400 });
    const outcome = await sink.export(records());
    assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_REFUSED');
    assert.equal(outcome.ok === false && outcome.error.status, 400);
    assert.match(outcome.ok === false ? outcome.error.message : '', /HTTP 400: injected failure/);
    await sink.shutdown();
  });

  it('returns a retryable failure from a single request on 502, a dropped connection or a timeout', async () => {
    const sink = otlpSink({ endpoint: receiver.url, timeout: '200ms' });
    await sink.start();
    receiver.behaviours.push({ kind: 'status', status: 502 }, { kind: 'destroy' }, { kind: 'delay', ms: 2000 });
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await sink.export(records());
      assert.equal(outcome.ok, false);
      if (!outcome.ok) {
        assert.equal(outcome.error.retryable, true);
        codes.push(outcome.error.code);
      }
    }
    assert.deepEqual(codes, ['E_EXPORT_STATUS', 'E_EXPORT_NETWORK', 'E_EXPORT_TIMEOUT']);
    assert.equal(receiver.attempts, 3, 'one request each');
    await sink.shutdown();
  });

  it('sends gzip with the configured headers and content type', async () => {
    const sink = otlpSink({ endpoint: receiver.url, protocol: 'http/json', compression: 'gzip', headers: { 'X-Tenant': 'a' } });
    await sink.start();
    assert.deepEqual(await sink.export(records(2)), { ok: true });
    const request = receiver.requests[0]!;
    assert.equal(request.encoding, 'gzip');
    assert.equal(request.contentType, 'application/json');
    assert.equal(request.headers['x-tenant'], 'a');
    assert.equal(receiver.logs.length, 2);
    await sink.shutdown();
  });

  it('answers E_EXPORT_NOT_STARTED (retryable) before start', async () => {
    const outcome = await otlpSink({ endpoint: receiver.url }).export(records());
    assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_NOT_STARTED');
    assert.equal(outcome.ok === false && outcome.error.retryable, true);
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: starts, exports, shuts down, and shuts down twice`, async () => {
      const sink = otlpSink({ endpoint: receiver.url, protocol });
      await sink.start();
      await sink.start();
      assert.deepEqual(await sink.export(records(2)), { ok: true });
      assert.equal(receiver.logs.length, 2);
      await sink.shutdown();
      await sink.shutdown();
    });
  }

  it('grpc: starts, exports (headers as metadata, with gzip), shuts down, and shuts down twice', async () => {
    const server = await grpcReceiver(() => null);
    try {
      const sink = otlpSink({ endpoint: server.url, protocol: 'grpc', compression: 'gzip', headers: { 'X-Tenant': 'a' } });
      await sink.start();
      assert.deepEqual(await sink.export(records(2)), { ok: true });
      assert.equal(server.logs(), 2);
      assert.deepEqual(server.metadata()?.get('x-tenant'), ['a']);
      await sink.shutdown();
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });

  it('grpc: one call per export on UNAVAILABLE (retryable) and on INVALID_ARGUMENT (permanent)', async () => {
    let status = grpc.status.UNAVAILABLE;
    const server = await grpcReceiver(() => Object.assign(new Error('scripted'), { code: status, details: 'scripted', metadata: new grpc.Metadata() }));
    try {
      const sink = otlpSink({ endpoint: server.url, protocol: 'grpc' });
      await sink.start();
      const unavailable = await sink.export(records());
      assert.equal(unavailable.ok === false && unavailable.error.retryable, true);
      assert.equal(server.calls(), 1, 'no retry inside the sink');
      status = grpc.status.INVALID_ARGUMENT;
      const refused = await sink.export(records());
      assert.equal(refused.ok === false && refused.error.code, 'E_EXPORT_REFUSED');
      assert.equal(server.calls(), 2);
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });

  it('grpc: a batch over the receiver\'s message size limit is refused as too large (as HTTP 413), not retried as throttling', async (t) => {
    // grpc-js refuses a request over 4 MiB before the service sees it, as the Collector does by default.
    const server = await grpcReceiver(() => null);
    try {
      const sink = otlpSink({ endpoint: server.url, protocol: 'grpc' });
      await sink.start();
      const big = Array.from({ length: 600 }, (_, i) => mapEvent(normalizeEvent(podEvent({ message: `${i} ${'m'.repeat(8000)}` })), 'ADDED'));
      const outcome = await sink.export(big);
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      t.diagnostic(`600 records of 8 kB: ${outcome.error.code}, retryable ${outcome.error.retryable}: ${outcome.error.message}`);
      assert.equal(outcome.error.status, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(outcome.error.code, 'E_EXPORT_TOO_LARGE');
      assert.equal(server.calls(), 0);
      const small = await sink.export(records());
      assert.equal(small.ok, true, 'the next batch goes out');
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });

  it('grpc: speaks mTLS with the configured files, and is refused without the client certificate', async () => {
    const pki = makePki();
    const tls = grpc.ServerCredentials.createSsl(pki.ca, [{ private_key: pki.serverKey, cert_chain: pki.serverCert }], true);
    const server = await grpcReceiver(() => null, tls);
    try {
      const sink = otlpSink({ endpoint: `https://127.0.0.1:${server.port}`, protocol: 'grpc', tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } });
      await sink.start();
      assert.deepEqual(await sink.export(records(1)), { ok: true });
      assert.equal(server.logs(), 1);
      await sink.shutdown();
      const noClientCert = otlpSink({ endpoint: `https://127.0.0.1:${server.port}`, protocol: 'grpc', timeout: '2s', tls: { caFile: pki.caFile } });
      await noClientCert.start();
      const refused = await noClientCert.export(records(1));
      assert.equal(refused.ok, false);
      assert.equal(server.logs(), 1);
      await noClientCert.shutdown();
    } finally {
      server.stop();
    }
  });
});

/** An OtlpSink from its settings as otlp-settings.ts decides them: no schema, no factory, no environment. */
function sinkTo(url: string, overrides: Partial<OtlpSettings> = {}): OtlpSink {
  return new OtlpSink({
    name: 'direct',
    scope: { name: 'eventrouter', version: 'unit' },
    protocol: 'http/protobuf',
    url,
    headers: {},
    compression: 'none',
    timeoutMs: 10_000,
    tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipVerify: false },
    insecure: true,
    ...overrides,
  });
}

/** An OTLP/HTTP receiver that takes every request but answers that it rejected `rejected` records (a partial success), in the request's encoding. */
async function partialReceiver(rejected: () => number): Promise<{ url: string; server: Server; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      const count = rejected();
      if (String(req.headers['content-type']).includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(count > 0 ? { partialSuccess: { rejectedLogRecords: count, errorMessage: 'too old' } } : {}));
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(count > 0 ? encodePartialSuccessResponse(count, 'too old') : encodeEmptyLogsResponse());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, server, requests: () => requests };
}

/** A record that no encoder can write (an attribute that contains itself). */
function unencodable() {
  const record = records(1)[0]!;
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  (record.attributes as Record<string, unknown>)['cyclic'] = cycle;
  return record;
}

describe('OTLP sink, built from its settings', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  after(async () => receiver.stop());
  afterEach(() => receiver.reset());

  it('encodes records as they enter the queue over http/protobuf and grpc, not over http/json (the SDK serialises those)', () => {
    assert.equal(typeof sinkTo(`${receiver.url}/v1/logs`).encode, 'function');
    assert.equal(typeof sinkTo('http://127.0.0.1:1', { protocol: 'grpc' }).encode, 'function');
    assert.equal(sinkTo(`${receiver.url}/v1/logs`, { protocol: 'http/json' }).encode, undefined);
  });

  it('sends records encoded beforehand and records given as they are in one request, alike', async () => {
    const sink = sinkTo(`${receiver.url}/v1/logs`);
    await sink.start();
    const [a, b] = records(2);
    assert.deepEqual(await sink.export([sink.encode!(a!), b!]), { ok: true });
    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(receiver.logs.map((log) => log.body), [a!.body, b!.body]);
    assert.deepEqual(receiver.logs.map((log) => log.attributes['k8s.event.name']), [a!.attributes['k8s.event.name'], b!.attributes['k8s.event.name']]);
    assert.deepEqual(Object.keys(receiver.logs[0]?.attributes ?? {}), Object.keys(receiver.logs[1]?.attributes ?? {}), 'the same attributes either way');
    await sink.shutdown();
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: reports a partial success as delivered with the rejected count (never retried), then full successes again`, async () => {
      let rejected = 5;
      const partial = await partialReceiver(() => rejected);
      try {
        const sink = sinkTo(partial.url, { protocol });
        await sink.start();
        const outcome = await sink.export(records(2));
        assert.equal(outcome.ok, true);
        assert.ok(outcome.ok && outcome.rejected);
        assert.equal(outcome.rejected.count, 2, 'at most the records of the request');
        assert.deepEqual(outcome.rejected.records, []);
        assert.equal(outcome.rejected.error.message, 'the receiver rejected 2 of 2 records (OTLP partial success): too old');
        rejected = 0;
        assert.deepEqual(await sink.export(records(2)), { ok: true }, 'the partial success of the last request is not carried into the next');
        assert.equal(partial.requests(), 2);
        await sink.shutdown();
      } finally {
        await closeServer(partial.server);
      }
    });

    it(`${protocol}: refuses a batch it cannot encode as permanent (E_EXPORT_ENCODE) without a request, and sends the next one`, async () => {
      const sink = sinkTo(`${receiver.url}/v1/logs`, { protocol });
      await sink.start();
      const outcome = await sink.export([unencodable()]);
      assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_ENCODE');
      assert.equal(outcome.ok === false && outcome.error.retryable, false);
      assert.equal(receiver.attempts, 0);
      assert.deepEqual(await sink.export(records(1)), { ok: true });
      assert.equal(receiver.logs.length, 1);
      await sink.shutdown();
    });
  }

  it('answers a receiver that is not listening with a retryable network error', async () => {
    const sink = sinkTo(`http://127.0.0.1:${await freePort()}/v1/logs`);
    await sink.start();
    const outcome = await sink.export(records(1));
    assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_NETWORK');
    assert.equal(outcome.ok === false && outcome.error.retryable, true);
    await sink.shutdown();
  });

  it('after shutdown answers E_EXPORT_NOT_STARTED, and exports again once started again', async () => {
    const sink = sinkTo(`${receiver.url}/v1/logs`);
    await sink.start();
    await sink.shutdown();
    const stopped = await sink.export(records(1));
    assert.equal(stopped.ok === false && stopped.error.code, 'E_EXPORT_NOT_STARTED');
    assert.equal(receiver.attempts, 0);
    await sink.start();
    assert.deepEqual(await sink.export(records(1)), { ok: true });
    assert.equal(receiver.logs.length, 1);
    await sink.shutdown();
  });

  it('shuts down before start without error', async () => {
    await sinkTo(`${receiver.url}/v1/logs`).shutdown();
  });
});
