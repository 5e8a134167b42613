/**
 * Resilience against the real peers, each scenario in a namespace of its own with a file
 * checkpoint and events produced continuously through the real API server:
 * - the kube-apiserver restarts mid-stream (watches cut, API down ~6 s): no loss, no duplicates;
 * - etcd is compacted while the router is stopped, so its checkpoint resourceVersion is
 *   gone (410 Expired on resume): no loss, no duplicates;
 * - SIGTERM and restart while events keep coming: no loss, no duplicates;
 * - SIGKILL and restart while events keep coming: no loss, at most one batch of duplicates.
 * Dedupe key: k8s.event.uid + k8s.event.count.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type RouterProcess,
  clusterCommand,
  collected,
  createNamespace,
  createSimpleEvents,
  delivery,
  e2eEnv,
  kube,
  keyOf,
  postCoreEvent,
  routerConfig,
  runId,
  scratchDir,
  simpleEvent,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';

const BATCH = 50;

/** Creates events every `intervalMs` until stopped; failures (API server down) are counted, not fatal. */
const producers = new Set<Producer>();

class Producer {
  readonly uids: string[] = [];
  failures = 0;
  #running = true;
  #loop: Promise<void>;
  constructor(namespace: string, tag: string, perTick = 5, intervalMs = 100) {
    this.#loop = (async () => {
      while (this.#running) {
        const results = await Promise.allSettled(Array.from({ length: perTick }, () => postCoreEvent(simpleEvent(namespace, tag))));
        for (const r of results) {
          if (r.status === 'fulfilled') this.uids.push(r.value.metadata.uid);
          else this.failures += 1;
        }
        await sleep(intervalMs);
      }
    })();
    producers.add(this);
  }
  async stop(): Promise<string[]> {
    producers.delete(this);
    this.#running = false;
    await this.#loop;
    return this.uids;
  }
}

function scenario(name: string) {
  const ns = runId(`e2e-${name}`);
  const dir = scratchDir(ns);
  const clusterName = `${ns}-c`;
  const checkpoint = join(dir, 'checkpoint.json');
  const config = routerConfig({ clusterName, namespaces: [ns], checkpoint: { store: 'file', path: checkpoint }, maxBatchSize: BATCH });
  let n = 0;
  return {
    ns,
    clusterName,
    checkpoint,
    start: () => startRouter(dir, `router-${++n}`, config),
    records: () => collected(clusterName),
  };
}

async function awaitAll(s: ReturnType<typeof scenario>, uids: string[], router?: RouterProcess): Promise<void> {
  const expected = new Set(uids.map((u) => `${u}/1`));
  await waitFor(
    () => new Set(s.records().map(keyOf).filter((k) => expected.has(k))).size >= expected.size,
    `all ${uids.length} events of ${s.ns} at the Collector`,
    90_000,
    () => `${new Set(s.records().map(keyOf)).size} so far; router stderr: ${router?.stderr.slice(-1500) ?? ''}`,
  );
  await sleep(1500);
}

describe('resilience against the real kube-apiserver and etcd', () => {
  const running = new Set<RouterProcess>();
  const track = (r: RouterProcess) => (running.add(r), r);
  before(() => void e2eEnv());
  after(async () => {
    await Promise.all([...producers].map((p) => p.stop()));
    await Promise.all([...running].map((r) => r.stop('SIGKILL')));
  });

  it('kube-apiserver restart mid-stream: no loss, no duplicates', async () => {
    const s = scenario('apiserver');
    await createNamespace(s.ns);
    const router = track(s.start());
    const producer = new Producer(s.ns, 'restart');
    await waitFor(() => s.records().length >= 50, 'a stream in flight', 30_000, () => router.stderr.slice(-1000));
    await clusterCommand('restart-apiserver');
    await waitFor(async () => (await kube('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the API server back', 60_000);
    await sleep(3000); // events created after the restart
    const uids = await producer.stop();
    assert.ok(producer.failures > 0 || uids.length > 100, 'the producer ran across the restart');
    await awaitAll(s, uids, router);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    console.log(`# apiserver restart: ${uids.length} events (${producer.failures} creates refused while down), ${s.records().length} records, ${d.duplicates} duplicates`);
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(d.duplicates, 0);
    assert.match(router.stdout + router.stderr, /watch|reconnect|disconnect|error/i, 'the router noticed the cut');
    assert.equal(router.child.exitCode, null, 'the router survived the restart');
    assert.equal((await router.stop('SIGTERM')).code, 0);
  });

  it('etcd compaction while the router is stopped (410 Expired on resume): no loss, no duplicates', async () => {
    const s = scenario('compact');
    await createNamespace(s.ns);
    const first = track(s.start());
    const before = await createSimpleEvents(s.ns, 'compact-before', 30);
    await awaitAll(s, before, first);
    assert.equal((await first.stop('SIGTERM')).code, 0, first.stderr.slice(-2000));
    const saved = JSON.parse(readFileSync(s.checkpoint, 'utf8'));
    const during = await createSimpleEvents(s.ns, 'compact-during', 40);
    // Move etcd past the checkpoint with unrelated writes, then compact.
    await createSimpleEvents(`default`, `${s.ns}-filler`, 10);
    const revision = Number((await clusterCommand('compact')).trim());
    assert.ok(revision > Number(Object.values(saved.scopes)[0]), `compacted at ${revision}, past the checkpoint ${JSON.stringify(saved.scopes)}`);
    const second = track(s.start());
    const after = await createSimpleEvents(s.ns, 'compact-after', 20);
    const uids = [...before, ...during, ...after];
    await awaitAll(s, uids, second);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    console.log(`# compaction: ${uids.length} events, ${s.records().length} records, ${d.duplicates} duplicates`);
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(d.duplicates, 0);
    assert.match(second.stdout + second.stderr, /410|expired/i, 'the resume really hit 410 Expired');
    assert.equal((await second.stop('SIGTERM')).code, 0);
  });

  it('SIGTERM and restart while events keep coming: no loss, no duplicates', async () => {
    const s = scenario('sigterm');
    await createNamespace(s.ns);
    const producer = new Producer(s.ns, 'term');
    for (let round = 0; round < 3; round++) {
      const router = track(s.start());
      const base = s.records().length;
      // Signal only once this process runs and exports (a signal before Node installs the
      // handlers would just kill it).
      await waitFor(() => /resuming from checkpoint|starting without a checkpoint/.test(router.stderr) && s.records().length >= base + 40, `round ${round}: records flowing`, 30_000, () => router.stderr.slice(-1000));
      const result = await router.stop('SIGTERM');
      running.delete(router);
      assert.equal(result.code, 0, router.stderr.slice(-2000));
      assert.ok(existsSync(s.checkpoint));
      await sleep(500); // events created while no router runs
    }
    const last = track(s.start());
    await waitFor(() => /resuming from checkpoint/.test(last.stderr), 'the last router resumed', 30_000, () => last.stderr.slice(-1000));
    await sleep(1000);
    const uids = await producer.stop();
    await awaitAll(s, uids, last);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    console.log(`# SIGTERM x3: ${uids.length} events, ${s.records().length} records, ${d.duplicates} duplicates`);
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.equal(d.duplicates, 0);
    assert.equal((await last.stop('SIGTERM')).code, 0);
  });

  it('SIGKILL and restart while events keep coming: no loss, at most one batch of duplicates', async () => {
    const s = scenario('sigkill');
    await createNamespace(s.ns);
    // Steady state first: the backfill delivered and checkpointed, the router on its watch.
    // (A SIGKILL during the very first LIST, before any checkpoint exists, re-sends what that
    // LIST had exported: there is no resume point inside a LIST.)
    const initial = await createSimpleEvents(s.ns, 'kill-initial', 40);
    const victim = track(s.start());
    await awaitAll(s, initial, victim);
    assert.ok(existsSync(s.checkpoint), 'a checkpoint before the kill');
    const producer = new Producer(s.ns, 'kill', 10, 50);
    await waitFor(() => s.records().length >= 40 + 150, 'a stream in flight', 30_000, () => victim.stderr.slice(-1000));
    const result = await victim.stop('SIGKILL');
    assert.equal(result.signal, 'SIGKILL');
    await sleep(1000);
    const survivor = track(s.start());
    await waitFor(() => /resuming from checkpoint/.test(survivor.stderr), 'the survivor resumed from the checkpoint', 30_000, () => survivor.stderr.slice(-1000));
    await sleep(1500);
    const uids = [...initial, ...(await producer.stop())];
    await awaitAll(s, uids, survivor);
    const d = delivery(s.records(), uids.map((u) => `${u}/1`));
    console.log(`# SIGKILL: ${uids.length} events, ${s.records().length} records, ${d.duplicates} duplicates (batch ${BATCH})`);
    assert.deepEqual(d.missing, []);
    assert.deepEqual(d.unexpected, []);
    assert.ok(d.duplicates <= BATCH, `${d.duplicates} duplicates > one batch (${BATCH})`);
    assert.equal((await survivor.stop('SIGTERM')).code, 0);
  });
});
