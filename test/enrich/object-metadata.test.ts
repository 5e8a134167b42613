import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getObject } from '../../src/enrich/object-metadata.ts';
import { ApiError, KubeClient, MAX_OBJECT_BYTES, ResponseTooLargeError } from '../../src/kube/kube-client.ts';
import { closeServer } from '../support/http-server.ts';

const POD = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'web-1', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d9' }] } };

describe('getting an object\'s metadata', () => {
  let server: Server;
  let client: KubeClient;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const path = req.url ?? '';
      if (path === '/api/v1/namespaces/shop/pods/web-1') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(POD));
      }
      if (path === '/api/v1/namespaces/shop/pods/huge') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_OBJECT_BYTES + 1) });
        return void res.end();
      }
      if (path === '/api/v1/namespaces/shop/pods/slow') return; // never answered
      if (path === '/api/v1/namespaces/shop/pods/forbidden') {
        res.writeHead(403, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'pods "forbidden" is forbidden' }));
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: `${path} not found` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => closeServer(server));

  it('asks for PartialObjectMetadata, with the full object as the fallback type, and returns the answer', async () => {
    const object = await getObject(client, '/api/v1/namespaces/shop/pods/web-1', { timeoutMs: 5000 });
    assert.deepEqual(object, POD);
    assert.equal(seen.at(-1)?.headers.accept, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json');
  });

  it('asks for the whole object when metadataOnly is false', async () => {
    await getObject(client, '/api/v1/namespaces/shop/pods/web-1', { metadataOnly: false, timeoutMs: 5000 });
    assert.equal(seen.at(-1)?.headers.accept, 'application/json');
    await getObject(client, '/api/v1/namespaces/shop/pods/web-1', { metadataOnly: true, timeoutMs: 5000 });
    assert.match(seen.at(-1)?.headers.accept ?? '', /as=PartialObjectMetadata/);
  });

  it('throws an ApiError with the status and the Status reason on a non-2xx answer', async () => {
    await assert.rejects(getObject(client, '/api/v1/namespaces/shop/pods/gone', { timeoutMs: 5000 }), (error: unknown) =>
      error instanceof ApiError && error.status === 404 && error.reason === 'NotFound' && error.message === 'HTTP 404: /api/v1/namespaces/shop/pods/gone not found',
    );
    await assert.rejects(getObject(client, '/api/v1/namespaces/shop/pods/forbidden', { timeoutMs: 5000 }), (error: unknown) => error instanceof ApiError && error.status === 403 && error.reason === 'Forbidden');
  });

  it('does not read an answer larger than an object can be', async () => {
    await assert.rejects(getObject(client, '/api/v1/namespaces/shop/pods/huge', { timeoutMs: 5000 }), ResponseTooLargeError);
  });

  it('gives up at its deadline, and when its signal aborts', async () => {
    await assert.rejects(getObject(client, '/api/v1/namespaces/shop/pods/slow', { timeoutMs: 50 }), (error: Error) => error.name === 'TimeoutError' || error.name === 'AbortError');
    const abort = new AbortController();
    const pending = getObject(client, '/api/v1/namespaces/shop/pods/slow', { timeoutMs: 0, signal: abort.signal });
    abort.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError');
  });
});
