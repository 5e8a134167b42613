import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiError, KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { currentResourceVersion } from '../../src/source/current-resource-version.ts';
import { podEvent } from '../support/harness.ts';

/** An API server that answers every request with `body` (200) and notes the URLs it was asked. */
async function answering(body: unknown): Promise<{ client: KubeClient; urls: string[]; server: Server }> {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { client: KubeClient.fromServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), urls, server };
}

describe('current resourceVersion', () => {
  const api = new FakeApiServer();
  let client: KubeClient;
  before(async () => {
    client = KubeClient.fromServer(await api.start());
    api.create('/api/v1/events', podEvent({}, 'team-a'));
    api.create('/api/v1/events', podEvent({}, 'team-b'));
  });
  after(() => api.stop());

  it("is the cluster's revision, for either API and in any scope", async () => {
    const revision = api.resourceVersion;
    assert.equal(await currentResourceVersion(client, 'core/v1', '', undefined), revision);
    assert.equal(await currentResourceVersion(client, 'events.k8s.io/v1', 'team-a'), revision);
    // A namespace with no Event at all still answers with the revision.
    assert.equal(await currentResourceVersion(client, 'core/v1', 'empty'), revision);
    api.create('/api/v1/events', podEvent({}, 'team-b'));
    assert.equal(BigInt(await currentResourceVersion(client, 'core/v1', 'team-a')) > BigInt(revision), true);
  });

  it('lists one Event of the scope watched, so that it needs no permission beyond the source', async () => {
    const fake = await answering({ kind: 'EventList', metadata: { resourceVersion: '77' }, items: [] });
    try {
      assert.equal(await currentResourceVersion(fake.client, 'events.k8s.io/v1', 'team-a'), '77');
      assert.deepEqual(fake.urls, ['/apis/events.k8s.io/v1/namespaces/team-a/events?limit=1']);
    } finally {
      fake.server.close();
    }
  });

  for (const body of [{ kind: 'EventList', items: [] }, { metadata: { resourceVersion: '' } }, { metadata: { resourceVersion: 12 } }, null]) {
    it(`throws, naming the path, when the list carries no resourceVersion: ${JSON.stringify(body)}`, async () => {
      const fake = await answering(body);
      try {
        await assert.rejects(currentResourceVersion(fake.client, 'core/v1', ''), /LIST \/api\/v1\/events carried no resourceVersion/);
      } finally {
        fake.server.close();
      }
    });
  }

  it("throws the API server's error when the list fails", async () => {
    api.failRequests((method, path) => method === 'GET' && path === '/api/v1/namespaces/denied/events', 403);
    await assert.rejects(currentResourceVersion(client, 'core/v1', 'denied'), (error) => error instanceof ApiError && error.status === 403);
  });

  it('gives up when its signal aborts', async () => {
    api.hangRequests((method, path) => method === 'GET' && path === '/api/v1/namespaces/hangs/events');
    const abort = new AbortController();
    const asked = currentResourceVersion(client, 'core/v1', 'hangs', abort.signal);
    abort.abort();
    await assert.rejects(asked);
  });
});
