/**
 * OTLP/HTTP receivers (or proxies in front of them) that misbehave after taking the request.
 * A 2xx status says the records were accepted: a body that never ends must not make the router
 * send them again. Before, every attempt timed out and was retried for ever, a duplicate at the
 * receiver each time, the required sink never acknowledging, the checkpoint and the source held.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { podEvent } from '../../support/harness.ts';
import { closeServer } from '../../support/http-server.ts';
import { otlpSink } from '../../support/sinks.ts';

const records = () => Array.from({ length: 3 }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));

describe('OTLP/HTTP receivers that misbehave after taking the request', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await closeServer(server);
    server = undefined;
  });

  async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
  }

  async function exportOnce(url: string) {
    const sink = otlpSink({ endpoint: url, timeout: '500ms' });
    await sink.start();
    try {
      return await sink.export(records());
    } finally {
      await sink.shutdown();
    }
  }

  it('200 with a Content-Length of 2 GB and then silence: accepted, not sent again', async () => {
    const { url, requests } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '2000000000' });
      res.write(Buffer.alloc(10));
    });
    const outcome = await exportOnce(url);
    assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.error.message);
    assert.equal(requests(), 1);
  });

  it('200 trickled a byte at a time, for ever: accepted', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const outcome = await exportOnce(url);
    assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.error.message);
  });

  it('200 with an endless body sent as fast as it is read: accepted, and not read on', async () => {
    let written = 0;
    let closed = false;
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!closed && written < 1024 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => (closed = true));
      pump();
    });
    const outcome = await exportOnce(url);
    assert.equal(outcome.ok, true, outcome.ok ? '' : outcome.error.message);
    console.log(`endless 200 body: ${(written / 1024 / 1024).toFixed(1)} MiB written before the reader stopped`);
    assert.ok(written < 64 * 1024 * 1024, `${written} bytes written before the reader stopped`);
  });

  it('a connection taken and never answered: a retryable timeout (as before)', async () => {
    const { url } = await serve(() => {});
    const outcome = await exportOnce(url);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'E_EXPORT_TIMEOUT');
    assert.equal(!outcome.ok && outcome.error.retryable, true);
  });

  it('503 with a body that never ends: the 503, retryable, at the timeout', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '3', 'content-length': '2000000000' });
      res.write('overloaded');
    });
    const outcome = await exportOnce(url);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.status, 503);
    assert.equal(!outcome.ok && outcome.error.retryAfterMs, 3000);
    assert.match(!outcome.ok ? outcome.error.message : '', /HTTP 503: overloaded/);
  });
});
