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
