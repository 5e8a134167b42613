import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type ClientRequest, createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { makePki, type TestPki } from '../support/certs.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const LINE = `${'x'.repeat(99)}\n`;

/** A server that writes one 100-byte line every 5 ms into each open answer, as a trickling watch. */
function tricklingServer(make: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server) {
  const state = { written: 0 };
  const server = make((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => {
      res.write(LINE);
      state.written += LINE.length;
    }, 5);
    req.on('close', () => clearInterval(timer));
  });
  return { server, state };
}

/** The socket of the next client request (public diagnostics channel: the test does not reach into the client). */
function nextRequestSocket(): Promise<Socket> {
  return new Promise((resolve) => {
    const onStart = (message: unknown) => {
      unsubscribe('http.client.request.start', onStart);
      const request = (message as { request: ClientRequest }).request;
      if (request.socket) resolve(request.socket);
      else request.once('socket', resolve);
    };
    subscribe('http.client.request.start', onStart);
  });
}

describe('a held response body', () => {
  let pki: TestPki;
  before(() => (pki = makePki()));
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) {
      server.closeAllConnections?.();
      server.close();
    }
  });

  for (const scheme of ['http', 'https'] as const) {
    it(`over ${scheme}: reads nothing from the connection while held, then everything the server sent`, async () => {
      const { server, state } = tricklingServer((handler) =>
        scheme === 'http' ? createHttpServer(handler) : createHttpsServer({ cert: pki.serverCert, key: pki.serverKey }, handler),
      );
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = KubeClient.fromServer(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const socketOf = nextRequestSocket();
      const controller = new AbortController();
      const response = await client.request('/api/v1/events?watch=true', { signal: controller.signal, timeoutMs: 0 });
      const socket = await socketOf;
      const body = response.body;
      const chunks = body[Symbol.asyncIterator]();
      let received = (await chunks.next()).value!.length;

      const release = body.hold();
      const readAtHold = socket.bytesRead;
      const writtenAtHold = state.written;
      // Forty more writes (200 ms) while held: none of their bytes is read from the connection.
      await waitFor(() => state.written >= writtenAtHold + 40 * LINE.length, 'forty more writes', 10_000);
      assert.equal(socket.bytesRead, readAtHold, 'bytes read from the connection while held');

      release();
      const writtenAtRelease = state.written;
      while (received < writtenAtRelease) {
        const next = await chunks.next();
        assert.equal(next.done, false);
        received += next.value!.length;
      }
      assert.ok(socket.bytesRead > readAtHold, 'reading again after the hold');
      controller.abort();
      await body.cancel();
    });
  }

  for (const scheme of ['http', 'https'] as const) {
    it(`over ${scheme}: coalesce holds a trickle, but not a backlog read chunk by chunk`, async () => {
      // A backlog: 4,000 lines of 800 bytes, each its own write, written as fast as the socket takes them.
      const line = `${'b'.repeat(799)}\n`;
      const handler = (req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.url?.includes('trickle')) {
          let n = 0;
          const timer = setInterval(() => {
            res.write(LINE);
            if (++n === 30) {
              clearInterval(timer);
              res.end();
            }
          }, 5);
          req.on('close', () => clearInterval(timer));
          return;
        }
        let n = 0;
        const pump = () => {
          while (n < 4000) {
            n++;
            if (!res.write(line)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      };
      const server = scheme === 'http' ? createHttpServer(handler) : createHttpsServer({ cert: pki.serverCert, key: pki.serverKey }, handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = KubeClient.fromServer(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const read = async (path: string) => {
        const body = (await client.request(path, { timeoutMs: 0 })).body;
        let bytes = 0;
        let reads = 0;
        let holds = 0;
        // As the watch loop does: after every read under 16 KiB (over TLS, every read).
        for await (const chunk of body) {
          bytes += chunk.length;
          reads++;
          if (chunk.length < 16 * 1024 && (await body.coalesce(50, new AbortController().signal))) holds++;
        }
        return { bytes, reads, holds };
      };
      const backlog = await read('/backlog');
      assert.equal(backlog.bytes, 4000 * line.length);
      // Chunk by chunk it would be one hold per read (~200 over TLS): held only where the reader
      // caught up with the writer.
      assert.ok(backlog.holds <= 5, `held ${backlog.holds} times over ${backlog.reads} reads of a backlog`);
      const trickle = await read('/trickle');
      assert.equal(trickle.bytes, 30 * LINE.length);
      assert.ok(trickle.holds >= 2 && trickle.reads < 30, `a trickle of 30 writes: ${trickle.reads} reads, ${trickle.holds} holds`);
    });
  }

  it('neither holds nor throws once a keep-alive answer has ended and given its socket back', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      // The last event and the end of the answer in one write.
      setTimeout(() => res.end(LINE), 20);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const body = (await client.request('/api/v1/events?watch=true', { timeoutMs: 0 })).body;
    let chunks = 0;
    for await (const chunk of body) {
      assert.equal(chunk.length, LINE.length);
      chunks++;
      // A delivery that waits (back-pressure) while the answer completes.
      await new Promise((resolve) => setTimeout(resolve, 20));
      body.hold()();
      assert.equal(await body.coalesce(50, new AbortController().signal), false);
    }
    assert.equal(chunks, 1);
  });

  it('is a no-op once the connection is closed', async () => {
    const { server } = tricklingServer(createHttpServer);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const response = await client.request('/api/v1/events?watch=true', { timeoutMs: 0 });
    const body = response.body;
    await body.cancel();
    // Neither holding nor releasing a destroyed connection throws or reopens it.
    body.hold()();
  });
});
