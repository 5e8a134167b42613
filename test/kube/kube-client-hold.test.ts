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
