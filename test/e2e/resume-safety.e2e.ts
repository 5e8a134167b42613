/**
 * Resume safety against the real kube-apiserver and etcd (issue 12, item 1):
 * - what the API server does with a resourceVersion from its future (the behaviour the fake API
 *   server imitates): a LIST answers 504 ResourceVersionTooLarge at once, a WATCH answers 200 and
 *   stays silent;
 * - a router resumed from a checkpoint ahead of the cluster (etcd restored from a backup) used
 *   to report ready and export nothing: it must discard the checkpoint and export what comes after;
 * - a router resumed from another cluster's checkpoint must not trust its resourceVersion.
 * Each prints its loss and duplicate counts (dedupe key: k8s.event.uid + k8s.event.count).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, toApiError } from '../../src/kube/kube-client.ts';
import { isResourceVersionTooLarge } from '../../src/source/too-large.ts';
import {
  type RouterProcess,
  collected,
  createNamespace,
  createSimpleEvents,
  delivery,
  e2eEnv,
  keyOf,
  kubeOk,
  kubeSystemUid,
  postCoreEvent,
  routerConfig,
  runId,
  scratchDir,
  simpleEvent,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';

const FUTURE = '999999999';

function scenario(name: string) {
  const ns = runId(`e2e-${name}`);
  const dir = scratchDir(ns);
  const clusterName = `${ns}-c`;
  const checkpoint = join(dir, 'checkpoint.json');
  const config = routerConfig({ clusterName, namespaces: [ns], checkpoint: { store: 'file', path: checkpoint } });
  return {
    ns,
    checkpoint,
    writeCheckpoint: (rv: string, extra: Record<string, unknown> = {}) =>
      writeFileSync(checkpoint, JSON.stringify({ version: 1, api: 'core/v1', scopes: { [ns]: rv }, updatedAt: new Date().toISOString(), ...extra })),
    start: () => startRouter(dir, 'router', config),
    records: () => collected(clusterName),
  };
}

async function awaitKeys(s: ReturnType<typeof scenario>, uids: string[], router: RouterProcess): Promise<void> {
  const expected = new Set(uids.map((u) => `${u}/1`));
  await waitFor(
    () => new Set(s.records().map(keyOf).filter((k) => expected.has(k))).size >= expected.size,
    `all ${uids.length} events of ${s.ns} at the Collector`,
    60_000,
    () => `${new Set(s.records().map(keyOf)).size} so far; router stderr: ${router.stderr.slice(-1500)}`,
  );
  // Give late duplicates a chance to show up before counting.
  await sleep(1500);
}

async function currentResourceVersion(ns: string): Promise<string> {
  return (await kubeOk('GET', `/api/v1/namespaces/${ns}/events?limit=1`)).metadata.resourceVersion;
}

describe('resume safety against the real kube-apiserver', () => {
  const running = new Set<RouterProcess>();
  before(() => void e2eEnv());
  after(async () => {
    await Promise.all([...running].map((r) => r.stop('SIGKILL')));
  });

  it('answers a LIST from the future with 504 ResourceVersionTooLarge and keeps a WATCH from the future silent', async () => {
    const ns = runId('e2e-future');
    await createNamespace(ns);
    const client = KubeClient.fromEnvironment();
    const list = await client.request(`/api/v1/namespaces/${ns}/events?resourceVersion=${FUTURE}&limit=1`);
    assert.equal(list.status, 504);
    const error = await toApiError(list);
    console.log(`# LIST at resourceVersion ${FUTURE}: ${error.message} (causes: ${error.causes.join(', ')})`);
    assert.deepEqual(error.causes, ['ResourceVersionTooLarge']);
    assert.ok(isResourceVersionTooLarge(error));
    const watch = await client.request(`/api/v1/namespaces/${ns}/events?watch=true&resourceVersion=${FUTURE}&allowWatchBookmarks=true&timeoutSeconds=3`, {
      timeoutMs: 0,
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(watch.status, 200);
    await postCoreEvent(simpleEvent(ns, 'future'));
    // The server ends the stream at timeoutSeconds; until then it sent nothing, not even the new event.
    const text = await watch.text();
    console.log(`# WATCH from resourceVersion ${FUTURE}: HTTP 200, ${text.trim() === '' ? 0 : text.trim().split('\n').length} frames before the server closed it`);
    assert.equal(text.trim(), '');
  });

  it('a router resumed from a checkpoint ahead of the cluster discards it and exports what comes after', async () => {
    const s = scenario('ahead');
    await createNamespace(s.ns);
    const stored = await createSimpleEvents(s.ns, 'ahead-stored', 3);
    s.writeCheckpoint(FUTURE);
    const router = s.start();
    running.add(router);
    await waitFor(() => /starting without a checkpoint/.test(router.stderr), 'the router to start over', 30_000, () => router.stderr.slice(-1500));
    assert.match(router.stderr, /ahead of the cluster/);
    const later = await createSimpleEvents(s.ns, 'ahead-after', 3);
    const uids = [...stored, ...later];
    await awaitKeys(s, uids, router);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    const lostAfter = later.filter((u) => d.missing.includes(`${u}/1`)).length;
    console.log(
      `# checkpoint ahead of the cluster (${FUTURE}): ${later.length - lostAfter} of ${later.length} events created after the resume exported, ` +
        `${stored.length} stored events re-listed (backfill: all), ${d.missing.length} lost, ${d.duplicates} duplicates`,
    );
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(d.duplicates, 0);
    assert.equal((await router.stop('SIGTERM')).code, 0, router.stderr.slice(-2000));
    running.delete(router);
    const written = JSON.parse(readFileSync(s.checkpoint, 'utf8'));
    assert.ok(BigInt(written.scopes[s.ns]) <= BigInt(await currentResourceVersion(s.ns)), `the new checkpoint ${written.scopes[s.ns]} is in the cluster's present`);
    assert.equal(written.clusterUid, await kubeSystemUid(), 'the new checkpoint records this cluster');
  });

  it('a router resumed from another cluster\'s checkpoint discards it and re-lists', async () => {
    const s = scenario('foreign');
    await createNamespace(s.ns);
    const stored = await createSimpleEvents(s.ns, 'foreign-stored', 4);
    // A resourceVersion this cluster has reached: only the cluster uid tells it is not its own.
    s.writeCheckpoint(await currentResourceVersion(s.ns), { clusterUid: '00000000-0000-0000-0000-0000000000ff' });
    const router = s.start();
    running.add(router);
    await waitFor(() => /starting without a checkpoint/.test(router.stderr), 'the router to start over', 30_000, () => router.stderr.slice(-1500));
    assert.match(router.stderr, /another cluster/);
    const later = await createSimpleEvents(s.ns, 'foreign-after', 2);
    const uids = [...stored, ...later];
    await awaitKeys(s, uids, router);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    console.log(
      `# checkpoint of another cluster: ${stored.length} stored events re-listed instead of skipped, ${later.length} created after; ${d.missing.length} lost, ${d.duplicates} duplicates`,
    );
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(d.duplicates, 0);
    assert.equal((await router.stop('SIGTERM')).code, 0, router.stderr.slice(-2000));
    running.delete(router);
  });
});
