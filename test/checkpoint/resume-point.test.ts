import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { CheckpointFormatError } from '../../src/checkpoint/checkpoint-format-error.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { ResumePointLoader, type ResumePointOptions } from '../../src/checkpoint/resume-point.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';
const NAMESPACES = '/api/v1/namespaces';

/** A store whose `load` does what the test says: return a checkpoint, throw, or hang. */
class ScriptedStore implements CheckpointStore {
  readonly kind = 'scripted';
  loads = 0;
  answer: () => Promise<Checkpoint | undefined>;
  constructor(answer: () => Promise<Checkpoint | undefined>) {
    this.answer = answer;
  }
  load(): Promise<Checkpoint | undefined> {
    this.loads += 1;
    return this.answer();
  }
  async save(): Promise<void> {}
}

function checkpointAt(rv: string, extra: Partial<Checkpoint> = {}): Checkpoint {
  return { version: 1, api: 'core/v1', scopes: { '': rv }, updatedAt: '2026-01-01T00:00:00Z', ...extra };
}

describe('resume point', () => {
  const api = new FakeApiServer();
  let client: KubeClient;
  let kubeSystemUid: string;
  let aborts: AbortController[] = [];

  before(async () => {
    await api.start();
    client = KubeClient.fromServer(api.url);
    kubeSystemUid = api.create(NAMESPACES, { metadata: { name: 'kube-system' } }).metadata['uid'] as string;
    for (let i = 0; i < 3; i++) api.create(EVENTS, { metadata: { generateName: 'e-', namespace: 'default' }, reason: 'Started' });
  });
  afterEach(() => {
    for (const abort of aborts) abort.abort();
    aborts = [];
  });
  after(() => api.stop());

  function loader(store: CheckpointStore, options: Partial<ResumePointOptions> = {}) {
    const metrics = new Metrics();
    const { logger, entries } = capturingLogger();
    const resume = new ResumePointLoader({
      store,
      client,
      api: 'core/v1',
      namespaces: [''],
      clusterUid: kubeSystemUid,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      metrics,
      logger,
      ...options,
    });
    const abort = new AbortController();
    aborts.push(abort);
    return { resume, metrics, entries, abort, load: () => resume.load(abort.signal) };
  }

  it('with no checkpoint stored, resumes from none (a first start) and reports healthy', async () => {
    const { resume, metrics, load } = loader(new ScriptedStore(async () => undefined));
    assert.deepEqual(resume.status, { ok: true, phase: 'loading' }, 'loading until decided');
    assert.deepEqual(await load(), { checkpoint: undefined });
    assert.equal(resume.status, undefined, 'decided');
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_healthy'), 1);
  });

  it('resumes from a checkpoint of this API and cluster that the cluster has reached', async () => {
    const stored = checkpointAt('2', { clusterUid: kubeSystemUid, listing: { '': { resourceVersion: '1', after: 'x' } } });
    const { metrics, load } = loader(new ScriptedStore(async () => stored));
    assert.deepEqual(await load(), { checkpoint: stored });
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_discarded_total'), 0);
  });

  it('discards a checkpoint written for the other Events API, loudly and counted', async () => {
    const { metrics, entries, load } = loader(new ScriptedStore(async () => checkpointAt('2', { api: 'events.k8s.io/v1' })));
    assert.deepEqual(await load(), { checkpoint: undefined, discarded: 'other-api' });
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_discarded_total', { reason: 'other-api' }), 1);
    const logged = entries.find((e) => e['reason'] === 'other-api');
    assert.equal(logged?.['configuredApi'], 'core/v1');
    assert.equal(logged?.['component'], 'checkpoint');
  });

  it('discards a checkpoint of another cluster (its clusterUid is not this kube-system uid)', async () => {
    const { metrics, load } = loader(new ScriptedStore(async () => checkpointAt('2', { clusterUid: 'another-cluster' })));
    assert.deepEqual(await load(), { checkpoint: undefined, discarded: 'other-cluster' });
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_discarded_total', { reason: 'other-cluster' }), 1);
  });

  it('reads the cluster uid itself when start-up could not, and hands it on for later checkpoints', async () => {
    const same = loader(new ScriptedStore(async () => checkpointAt('2', { clusterUid: kubeSystemUid })), { clusterUid: undefined });
    assert.deepEqual(await same.load(), { checkpoint: checkpointAt('2', { clusterUid: kubeSystemUid }), clusterUid: kubeSystemUid });
    const other = loader(new ScriptedStore(async () => checkpointAt('2', { clusterUid: 'another-cluster' })), { clusterUid: undefined });
    assert.deepEqual(await other.load(), { checkpoint: undefined, discarded: 'other-cluster', clusterUid: kubeSystemUid });
  });

  it('trusts a checkpoint that names no cluster (older versions) without reading the uid', async () => {
    const before = api.requests.get(`GET ${NAMESPACES}/kube-system`) ?? 0;
    const { load } = loader(new ScriptedStore(async () => checkpointAt('2')), { clusterUid: undefined });
    assert.deepEqual(await load(), { checkpoint: checkpointAt('2') });
    assert.equal(api.requests.get(`GET ${NAMESPACES}/kube-system`) ?? 0, before);
  });

  it('stays not ready while the uid of the cluster a checkpoint names cannot be read, then resumes', async () => {
    let forbidden = true;
    api.failRequests((method, path) => forbidden && method === 'GET' && path === `${NAMESPACES}/kube-system`, 403, Infinity);
    const { resume, metrics, load } = loader(new ScriptedStore(async () => checkpointAt('2', { clusterUid: kubeSystemUid })), { clusterUid: undefined });
    const loading = load();
    await waitFor(() => (resume.status?.failures ?? 0) >= 2, 'two failed attempts');
    assert.equal(resume.status?.ok, false);
    assert.match(resume.status?.error ?? '', /^the checkpoint belongs to cluster .*this cluster's uid cannot be read to check it \(GET \/api\/v1\/namespaces\/kube-system: HTTP 403.*grant get on namespaces, or remove the checkpoint/);
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_healthy'), 0);
    forbidden = false;
    const point = await loading;
    assert.equal(point?.checkpoint?.clusterUid, kubeSystemUid, 'not taken for "no checkpoint" while it could not be checked');
    assert.equal(point?.clusterUid, kubeSystemUid);
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_healthy'), 1);
  });

  it('discards a checkpoint ahead of the cluster\'s current resourceVersion (etcd restored from a backup)', async () => {
    const ahead = String(Number(api.resourceVersion) + 1000);
    const { metrics, entries, load } = loader(new ScriptedStore(async () => checkpointAt(ahead)));
    assert.deepEqual(await load(), { checkpoint: undefined, discarded: 'ahead-of-cluster' });
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_discarded_total', { reason: 'ahead-of-cluster' }), 1);
    const logged = entries.find((e) => e['reason'] === 'ahead-of-cluster');
    assert.deepEqual(logged?.['ahead'], { '*': ahead });
    assert.equal(logged?.['currentResourceVersion'], api.resourceVersion);
  });

  it('judges every watched namespace, and an interrupted listing as well as the cursor', async () => {
    const ahead = String(Number(api.resourceVersion) + 1000);
    const namespaces = ['default', 'kube-system'];
    const listingAhead = { version: 1, api: 'core/v1', scopes: { default: '1' }, listing: { 'kube-system': { resourceVersion: ahead, after: 'ns/name' } }, updatedAt: '2026-01-01T00:00:00Z' } as const;
    const { entries, load } = loader(new ScriptedStore(async () => listingAhead), { namespaces });
    assert.equal((await load())?.discarded, 'ahead-of-cluster');
    assert.deepEqual(entries.find((e) => e['reason'] === 'ahead-of-cluster')?.['ahead'], { 'kube-system': ahead });
  });

  it('keeps a checkpoint at exactly the current resourceVersion, and one it cannot judge (not an integer)', async () => {
    for (const rv of [api.resourceVersion, 'opaque-rv']) {
      const { load } = loader(new ScriptedStore(async () => checkpointAt(rv)));
      assert.deepEqual(await load(), { checkpoint: checkpointAt(rv) }, rv);
    }
  });

  it('retries a store that fails, not ready with the error, the count and since when; "not found" alone means none', async () => {
    let down = true;
    const store = new ScriptedStore(async () => {
      if (down) throw new Error('connection refused');
      return checkpointAt('2');
    });
    const { resume, metrics, entries, load } = loader(store);
    const loading = load();
    await waitFor(() => (resume.status?.failures ?? 0) >= 1, 'a failed attempt');
    const since = resume.status?.failingSince;
    const seen = resume.status?.failures ?? 0;
    assert.ok(!Number.isNaN(Date.parse(since ?? '')), 'failingSince is a timestamp');
    await waitFor(() => (resume.status?.failures ?? 0) >= seen + 2, 'two more failed attempts');
    const status = resume.status;
    assert.equal(status?.ok, false);
    assert.equal(status?.phase, 'loading');
    assert.equal(status?.error, 'connection refused');
    assert.equal(status?.failingSince, since, 'the run of failures began at the first');
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_healthy'), 0);
    down = false;
    assert.deepEqual(await loading, { checkpoint: checkpointAt('2') }, 'a failure is never taken for "no checkpoint"');
    assert.equal(resume.status, undefined);
    assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_healthy'), 1);
    const retried = entries.filter((e) => e['msg'] === 'cannot read the checkpoint; retrying, not ready (only "not found" means there is none)');
    assert.deepEqual(retried.map((e) => e['failures']), Array.from({ length: store.loads - 1 }, (_, i) => i + 1));
    assert.equal(entries.find((e) => e['msg'] === 'the checkpoint could be read again')?.['failures'], store.loads - 1);
  });

  it('does not start fresh over an unreadable checkpoint: it says so, and retries', async () => {
    let reads = 0;
    const store = new ScriptedStore(async () => {
      reads += 1;
      if (reads <= 2) throw new CheckpointFormatError('/data/cp.json', 'not JSON', 'fix it or delete it');
      return checkpointAt('2');
    });
    const { entries, load } = loader(store);
    assert.deepEqual(await load(), { checkpoint: checkpointAt('2') });
    const unreadable = entries.filter((e) => String(e['msg']).startsWith('the stored checkpoint is unreadable; not starting fresh over it'));
    assert.equal(unreadable.length, 2);
    assert.match(String(unreadable[0]?.['err']), /^\/data\/cp\.json holds no readable eventrouter checkpoint/);
    assert.equal(unreadable[0]?.['store'], 'scripted');
  });

  it('gives up at once when aborted while the store hangs (a shutdown is not held up)', async () => {
    const { abort, load } = loader(new ScriptedStore(() => new Promise<never>(() => {})));
    const loading = load();
    abort.abort();
    assert.equal(await loading, undefined);
  });

  it('gives up when aborted while waiting to retry, and when aborted before it began', async () => {
    const failing = loader(new ScriptedStore(async () => {
      throw new Error('down');
    }), { minBackoffMs: 60_000, maxBackoffMs: 60_000 });
    const loading = failing.load();
    await waitFor(() => failing.resume.status?.ok === false, 'the first failure');
    failing.abort.abort();
    assert.equal(await loading, undefined);

    const store = new ScriptedStore(async () => checkpointAt('2'));
    const early = loader(store);
    early.abort.abort();
    assert.equal(await early.load(), undefined);
    assert.equal(store.loads, 0);
  });
});
