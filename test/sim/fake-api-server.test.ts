import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { podEvent } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/**
 * Reads a watch stream until the server closes it (`endedBy: 'server'`) or `max` frames arrived
 * (`'max'`). The deadline only bounds a hang: reaching it fails the test.
 */
async function watch(url: string, max: number, deadlineMs = 30_000): Promise<{ status: number; frames: any[]; endedBy: 'server' | 'max' }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(deadlineMs) });
  const frames: any[] = [];
  let text = '';
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    text += Buffer.from(chunk).toString();
    let nl;
    while ((nl = text.indexOf('\n')) !== -1) {
      frames.push(JSON.parse(text.slice(0, nl)));
      text = text.slice(nl + 1);
    }
    if (frames.length >= max) {
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, frames, endedBy: 'max' };
    }
  }
  return { status: res.status, frames, endedBy: 'server' };
}

describe('fake API server (behaves like kube-apiserver for Events)', () => {
  const api = new FakeApiServer({ maxWatchSeconds: 1 });
  before(async () => {
    await api.start();
  });
  after(async () => api.stop());

  it('gives every write a new, increasing resourceVersion, and the list the current one', async () => {
    const a = api.create(EVENTS, podEvent());
    const b = api.create(EVENTS, podEvent());
    const c = api.update(EVENTS, 'default', String(a.metadata['name']), (e) => (e['count'] = 2));
    const rvs = [a, b, c].map((o) => Number(o.metadata['resourceVersion']));
    assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!);
    const list = await get(`${api.url}${EVENTS}`);
    assert.equal(list.body.metadata.resourceVersion, String(rvs[2]));
    assert.equal(list.body.kind, 'EventList');
  });

  it('paginates with limit and continue, each item once, in key order', async () => {
    for (let i = 0; i < 23; i++) api.create(EVENTS, podEvent({}, 'paged'));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    let firstRv: string | undefined;
    do {
      const page = await get(`${api.url}/api/v1/namespaces/paged/events?limit=10${token ? `&continue=${token}` : ''}`);
      assert.equal(page.status, 200);
      firstRv ??= page.body.metadata.resourceVersion;
      assert.equal(page.body.metadata.resourceVersion, firstRv, 'every page is of the same snapshot');
      names.push(...page.body.items.map((i: any) => i.metadata.name));
      token = page.body.metadata.continue;
      pages += 1;
      // An object created mid-list is not in the snapshot.
      if (pages === 1) api.create(EVENTS, podEvent({}, 'paged'));
    } while (token);
    assert.equal(pages, 3);
    assert.equal(names.length, 23);
    assert.deepEqual([...names].sort(), names);
  });

  it('answers 410 Expired for a continue token older than the last compaction', async () => {
    const page = await get(`${api.url}${EVENTS}?limit=1`);
    api.create(EVENTS, podEvent());
    api.compact();
    const next = await get(`${api.url}${EVENTS}?limit=1&continue=${page.body.metadata.continue}`);
    assert.equal(next.status, 410);
    assert.equal(next.body.reason, 'Expired');
  });

  it('replays history after the watch resourceVersion, then streams live, and closes at timeoutSeconds', async () => {
    const start = api.resourceVersion;
    const e1 = api.create(EVENTS, podEvent());
    api.update(EVENTS, 'default', String(e1.metadata['name']), (e) => (e['count'] = 5));
    const watching = watch(`${api.url}${EVENTS}?watch=true&resourceVersion=${start}&timeoutSeconds=1`, 100);
    // Live once the watch is registered (a condition, not a delay).
    await waitFor(() => api.watcherCount > 0, 'the watch');
    api.delete(EVENTS, 'default', String(e1.metadata['name']));
    const { frames, endedBy } = await watching;
    assert.deepEqual(frames.map((f) => f.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.equal(frames[1].object.count, 5);
    assert.equal(endedBy, 'server', 'the server closed the stream at timeoutSeconds');
  });

  it('refuses a compacted resourceVersion with an in-stream ERROR 410 Expired, or an HTTP 410', async () => {
    const old = api.resourceVersion;
    api.create(EVENTS, podEvent());
    api.compact();
    const { status, frames } = await watch(`${api.url}${EVENTS}?watch=true&resourceVersion=${old}`, 5);
    assert.equal(status, 200);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].type, 'ERROR');
    assert.equal(frames[0].object.code, 410);
    assert.equal(frames[0].object.reason, 'Expired');
    const strict = new FakeApiServer({ expiredAs: 'status' });
    await strict.start();
    strict.create(EVENTS, podEvent());
    strict.compact();
    const res = await fetch(`${strict.url}${EVENTS}?watch=true&resourceVersion=1`);
    assert.equal(res.status, 410);
    await res.body?.cancel();
    await strict.stop();
  });

  it('sends bookmarks only to watchers that allow them', async () => {
    const bookmarking = new FakeApiServer({ bookmarkIntervalMs: 100 });
    await bookmarking.start();
    const rv = bookmarking.resourceVersion;
    // The watcher without bookmarks is registered first, so it is there for every bookmark the other gets.
    const without = watch(`${bookmarking.url}${EVENTS}?watch=true&resourceVersion=${rv}`, 100);
    await waitFor(() => bookmarking.watcherCount === 1, 'the watcher without bookmarks');
    const withBookmarks = await watch(`${bookmarking.url}${EVENTS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, 2);
    assert.ok(withBookmarks.frames.every((f) => f.type === 'BOOKMARK'));
    // Closing it from the server side delivers everything ever written to it.
    bookmarking.closeWatches();
    const rest = await without;
    assert.equal(rest.endedBy, 'server');
    assert.deepEqual(rest.frames, []);
    await bookmarking.stop();
  });

  it('refuses a LIST at a resourceVersion it has not reached with 504 ResourceVersionTooLarge, as kube-apiserver does', async () => {
    const current = Number(api.resourceVersion);
    for (const query of [`resourceVersion=${current + 1000}`, `resourceVersion=${current + 1}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${current + 1}&resourceVersionMatch=Exact&limit=1`]) {
      const res = await get(`${api.url}${EVENTS}?${query}`);
      assert.equal(res.status, 504, query);
      assert.equal(res.body.kind, 'Status');
      assert.equal(res.body.reason, 'Timeout');
      assert.deepEqual(res.body.details.causes.map((c: { reason: string }) => c.reason), ['ResourceVersionTooLarge']);
      assert.match(res.body.message, /Too large resource version/);
    }
    const reached = await get(`${api.url}${EVENTS}?resourceVersion=${current}&limit=1`);
    assert.equal(reached.status, 200, 'a resourceVersion already reached is served');
    const withContinue = await get(`${api.url}${EVENTS}?resourceVersion=${current}&continue=x`);
    assert.equal(withContinue.status, 400, 'resourceVersion and continue together are refused');
  });

  it('keeps a WATCH from a resourceVersion it has not reached open and silent until the revision comes', async () => {
    const from = Number(api.resourceVersion) + 2;
    const watchers = api.watcherCount;
    const stream = watch(`${api.url}${EVENTS}?watch=true&resourceVersion=${from}&allowWatchBookmarks=true`, 1, 10_000);
    await waitFor(() => api.watcherCount > watchers, 'the watch to be registered');
    const created = [api.create(EVENTS, podEvent()), api.create(EVENTS, podEvent()), api.create(EVENTS, podEvent())];
    const { status, frames } = await stream;
    assert.equal(status, 200);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].object.metadata.name, created[2]!.metadata['name'], 'only the first write past the revision is sent');
  });

  it('restores a snapshot as an etcd restore does: later writes gone, the revision back', async () => {
    const kept = api.create(EVENTS, podEvent({}, 'restore'));
    const backup = api.snapshot();
    const lost = api.create(EVENTS, podEvent({}, 'restore'));
    const ahead = api.resourceVersion;
    api.restore(backup);
    assert.equal(api.resourceVersion, kept.metadata['resourceVersion']);
    assert.ok(api.get(EVENTS, 'restore', String(kept.metadata['name'])));
    assert.equal(api.get(EVENTS, 'restore', String(lost.metadata['name'])), undefined);
    assert.equal((await get(`${api.url}${EVENTS}?resourceVersion=${ahead}`)).status, 504, 'the old revision is now in the future');
  });

  it('rejects a PUT with a stale resourceVersion (optimistic concurrency)', async () => {
    const cm = api.create('/api/v1/configmaps', { metadata: { name: 'cm', namespace: 'x' }, data: { a: '1' } });
    const url = `${api.url}/api/v1/namespaces/x/configmaps/cm`;
    const put = (rv: unknown) => fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'cm', namespace: 'x', resourceVersion: rv }, data: { a: '2' } }) });
    assert.equal((await put(cm.metadata['resourceVersion'])).status, 200);
    assert.equal((await put(cm.metadata['resourceVersion'])).status, 409);
  });
});
