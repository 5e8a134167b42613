import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ExportResponse } from '@opentelemetry/otlp-exporter-base';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { ExportError } from '../../../src/sinks/export-error.ts';
import { HttpTransport, type HttpTransportOptions } from '../../../src/sinks/otlp/http-transport.ts';
import { LogRecordEncoder } from '../../../src/sinks/otlp/log-record-encoder.ts';
import { makePki } from '../../support/certs.ts';
import { podEvent } from '../../support/harness.ts';
import { OtlpReceiver, waitFor } from '../../support/otlp-receiver.ts';

const NO_TLS = { ca: undefined, cert: undefined, key: undefined, insecureSkipVerify: false };

/** A valid ExportLogsServiceRequest of `n` records. */
function request(n = 2): Uint8Array {
  const encoder = new LogRecordEncoder({ name: 'eventrouter', version: 'test' });
  return encoder.request(Array.from({ length: n }, () => encoder.encode(mapEvent(normalizeEvent(podEvent()), 'ADDED'))));
}

function transport(url: string, options: Partial<HttpTransportOptions> = {}): HttpTransport {
  return new HttpTransport({ url, contentType: 'application/x-protobuf', headers: {}, compression: 'none', tls: NO_TLS, userAgent: 'eventrouter-test/1', ...options });
}

/** An HTTP server on port 0 whose handler the test writes; counts connections and keeps their sockets. */
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; sockets: Set<Socket>; connections: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const s: Server = createServer(handler);
  s.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/logs`,
    sockets,
    connections: () => connections,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}

function errorOf(response: ExportResponse): ExportError {
  assert.notEqual(response.status, 'success', 'expected a failure');
  const error = (response as { error: unknown }).error;
  assert.ok(error instanceof ExportError, String(error));
  return error;
}

describe('OTLP/HTTP transport', () => {
  const receiver = new OtlpReceiver();
  let url = '';
  const stops: Array<() => unknown> = [];
  before(async () => {
    url = `${await receiver.start()}/v1/logs`;
  });
  afterEach(async () => {
    receiver.reset();
    for (const stop of stops.splice(0)) await stop();
  });
  after(() => receiver.stop());

  it("POSTs the bytes as they are with the content type, length, user agent and the sink's headers; a 2xx is a success with the answer's body", async () => {
    const t = transport(url, { headers: { 'x-tenant': 'team-a', authorization: 'Bearer t' } });
    stops.push(() => t.shutdown());
    const body = request(3);
    const response = await t.send(body, 10_000);
    assert.equal(response.status, 'success');
    assert.deepEqual((response as { data?: Uint8Array }).data, Buffer.alloc(0));
    const [got] = receiver.requests;
    assert.equal(got?.contentType, 'application/x-protobuf');
    assert.equal(got?.encoding, '');
    assert.equal(got?.headers['content-length'], String(body.byteLength));
    assert.equal(got?.headers['user-agent'], 'eventrouter-test/1');
    assert.equal(got?.headers['x-tenant'], 'team-a');
    assert.equal(got?.headers['authorization'], 'Bearer t');
    assert.equal(receiver.logs.length, 3);
  });

  it('gzips the body when asked, and says so', async () => {
    const t = transport(url, { compression: 'gzip' });
    stops.push(() => t.shutdown());
    assert.equal((await t.send(request(2), 10_000)).status, 'success');
    assert.equal(receiver.requests[0]?.encoding, 'gzip');
    assert.equal(receiver.logs.length, 2);
  });

  it('keeps one connection alive across sends, and closes it on shutdown', async () => {
    const s = await server((req, res) => (req.resume(), req.on('end', () => res.writeHead(200).end())));
    stops.push(s.stop);
    const t = transport(s.url);
    for (let i = 0; i < 3; i++) assert.equal((await t.send(request(1), 10_000)).status, 'success');
    assert.equal(s.connections(), 1);
    t.shutdown();
    await waitFor(() => s.sockets.size === 0, 'the kept-alive connection to close');
  });

  it('answers a retryable status with the retry delay the receiver asked for', async () => {
    const t = transport(url);
    stops.push(() => t.shutdown());
    receiver.behaviours.push({ kind: 'status', status: 503, retryAfterSeconds: 3 });
    const response = await t.send(request(), 10_000);
    assert.equal(response.status, 'retryable');
    assert.equal((response as { retryInMillis?: number }).retryInMillis, 3000);
    const error = errorOf(response);
    assert.equal(error.code, 'E_EXPORT_STATUS');
    assert.equal(error.status, 503);
    receiver.behaviours.push({ kind: 'status', status: 429 });
    const throttled = await t.send(request(), 10_000);
    assert.equal(throttled.status, 'retryable');
    assert.equal('retryInMillis' in throttled, false);
  });

  it('answers a refusal of the data as a failure not worth retrying, with what the receiver said', async () => {
    const t = transport(url);
    stops.push(() => t.shutdown());
    receiver.behaviours.push({ kind: 'status', status: 400 }, { kind: 'status', status: 413 });
    const refused = await t.send(request(), 10_000);
    assert.equal(refused.status, 'failure');
    assert.equal(errorOf(refused).code, 'E_EXPORT_REFUSED');
    assert.match(errorOf(refused).message, /HTTP 400: injected failure/);
    assert.equal(errorOf(await t.send(request(), 10_000)).code, 'E_EXPORT_TOO_LARGE');
  });

  it('answers a connection refused as a network error worth retrying', async () => {
    const s = await server(() => undefined);
    await s.stop();
    const t = transport(s.url);
    stops.push(() => t.shutdown());
    const response = await t.send(request(), 10_000);
    assert.equal(response.status, 'retryable');
    assert.equal(errorOf(response).code, 'E_EXPORT_NETWORK');
  });

  it('gives up on a receiver that never answers at the timeout, and drops the request', async () => {
    const s = await server((req) => req.resume());
    stops.push(s.stop);
    const t = transport(s.url);
    stops.push(() => t.shutdown());
    const response = await t.send(request(), 300);
    assert.equal(response.status, 'retryable');
    assert.equal(errorOf(response).code, 'E_EXPORT_TIMEOUT');
    await waitFor(() => s.sockets.size === 0, 'the abandoned request to be closed');
  });

  it('takes a 2xx whose body never ends as the success it says at the timeout: the records are not sent again', async () => {
    const s = await server((req, res) => (req.resume(), res.writeHead(200, { 'content-length': '100' }), res.write('partial')));
    stops.push(s.stop);
    const t = transport(s.url);
    stops.push(() => t.shutdown());
    const response = await t.send(request(), 300);
    assert.equal(response.status, 'success');
    assert.equal(Buffer.from((response as { data: Uint8Array }).data).toString(), 'partial');
  });

  it('answers from the status when the connection breaks after it', async () => {
    const s = await server((req, res) => {
      req.resume();
      res.writeHead(503, { 'content-length': '1000' });
      res.write('overloaded', () => res.socket?.destroy());
    });
    stops.push(s.stop);
    const t = transport(s.url);
    stops.push(() => t.shutdown());
    const error = errorOf(await t.send(request(), 30_000));
    assert.equal(error.code, 'E_EXPORT_STATUS');
    assert.equal(error.status, 503);
  });

  it('does not wait for the end of an endless error page: it answers once it has enough of it', async () => {
    const s = await server((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('x'.repeat(200 * 1024));
    });
    stops.push(s.stop);
    const t = transport(s.url);
    stops.push(() => t.shutdown());
    const error = errorOf(await t.send(request(), 60_000));
    assert.equal(error.code, 'E_EXPORT_STATUS');
    assert.ok(error.message.length < 400, `${error.message.length} characters`);
  });

  it('speaks HTTPS with the configured CA, and refuses a server it cannot verify', async (t) => {
    let pki;
    try {
      pki = makePki();
    } catch {
      t.skip('openssl is not available');
      return;
    }
    const tlsReceiver = new OtlpReceiver();
    const base = await tlsReceiver.start(0, { cert: pki.serverCert, key: pki.serverKey });
    stops.push(() => tlsReceiver.stop());
    const trusted = transport(`${base}/v1/logs`, { tls: { ...NO_TLS, ca: pki.ca } });
    const untrusted = transport(`${base}/v1/logs`);
    const skipping = transport(`${base}/v1/logs`, { tls: { ...NO_TLS, insecureSkipVerify: true } });
    stops.push(() => [trusted, untrusted, skipping].forEach((x) => x.shutdown()));
    assert.equal((await trusted.send(request(1), 10_000)).status, 'success');
    assert.equal(errorOf(await untrusted.send(request(1), 10_000)).code, 'E_EXPORT_NETWORK');
    assert.equal((await skipping.send(request(1), 10_000)).status, 'success');
    assert.equal(tlsReceiver.logs.length, 2);
  });
});
