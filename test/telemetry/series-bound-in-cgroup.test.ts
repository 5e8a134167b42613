import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryCgroup, memoryCgroupUnavailable } from '../../bench/lib/memory-cgroup.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { EVENTS_SERIES_LIMIT } from '../../src/telemetry/metrics.ts';
import { buildBundle, imageEnv, imageNodeFlags } from '../support/image-runtime.ts';
import { parseSamples } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/** Distinct (reason, namespace) pairs: 200 reasons × 500 namespaces, each inside its label's cap. */
const COMBINATIONS = 100_000;
const SCRAPES = 8;
const LIMIT_MB = 128;
const TYPES = ['Normal', 'Warning', 'Custom'];

/** 60 UTF-16 units of 3 UTF-8 bytes each and a quote to escape: label values as long as they are kept (63), as large on /metrics as they get. */
const LONG = `${'事件"'.repeat(20)}`;

/** Watch line `i`: a new combination of type × reason × kind × namespace. */
function watchLine(i: number, now: string): string {
  const namespace = `tenant-${Math.floor(i / 200) % 500}`;
  const object = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `w-${i}.${i.toString(16)}`, namespace, uid: `uid-${i}`, resourceVersion: String(1_000 + i) },
    involvedObject: { apiVersion: 'example.com/v1', kind: `${LONG}${i % 90}`, name: `w-${i}`, namespace, uid: `obj-${i}` },
    reason: `${LONG}${i % 200}`,
    message: `combination ${i}`,
    type: TYPES[i % 3],
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'hostile' },
  };
  return JSON.stringify({ type: 'ADDED', object });
}

interface Router {
  child: ChildProcess;
  /** Records the stdout sink wrote (one line each). */
  delivered: () => number;
  /** `host:port` of /metrics once the router logged it. */
  address: () => string | undefined;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startRouter(cgroup: MemoryCgroup, entry: string, dir: string, apiUrl: string): Router {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster: { server: apiUrl, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'sim', user: {} }],
      contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim' } }],
      'current-context': 'sim',
    }),
  );
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      checkpoint: { store: 'none' },
      enrich: { owners: false },
      sinks: [{ name: 'out', type: 'stdout' }],
      server: { listen: '127.0.0.1:0' },
      log: { level: 'info' },
    }),
  );
  const argv = cgroup.wrap([process.execPath, ...imageNodeFlags(), entry, 'run', '--config', config]);
  const env = { ...imageEnv(), PATH: process.env['PATH'], HOME: dir, KUBECONFIG: kubeconfig };
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let stderr = '';
  let address: string | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    address ??= /"address":"([^"]+)"/.exec(stderr + text)?.[1];
    stderr = (stderr + text).slice(-8000);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, delivered: () => lines, address: () => address, stderr: () => stderr, exit };
}

describe('metric series in a 128 MiB pod, as the image runs the router', () => {
  const unavailable = memoryCgroupUnavailable();
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it(`serves ${SCRAPES} concurrent scrapes during and after ${COMBINATIONS.toLocaleString('en')} distinct label combinations: no abort, no OOM kill, series bounded`, { skip: unavailable, timeout: 540_000 }, async (t) => {
    const entry = buildBundle();
    const dir = mkdtempSync(join(tmpdir(), 'eventrouter-series-'));
    cleanup.push(() => rmSync(join(entry, '../..'), { recursive: true, force: true }), () => rmSync(dir, { recursive: true, force: true }));
    const api = new FakeApiServer();
    await api.start();
    cleanup.push(() => api.stop());
    const cgroup = new MemoryCgroup(`series-${process.pid}`, LIMIT_MB);
    cleanup.push(() => cgroup.remove());
    const router = startRouter(cgroup, entry, dir, api.url);
    cleanup.push(() => router.child.exitCode === null && router.child.signalCode === null && router.child.kill('SIGKILL'));
    let exited = false;
    void router.exit.then(() => (exited = true));
    /** A wait that also ends (failing) when the router dies. */
    const alive = async (predicate: () => boolean, what: string, ms: number) => {
      await waitFor(() => exited || predicate(), what, ms);
      if (exited) assert.fail(`the router exited (${JSON.stringify(await router.exit)}, cgroup ${JSON.stringify(cgroup.report())}) while waiting for ${what}: ${router.stderr()}`);
    };

    await alive(() => api.watcherCount > 0 && router.address() !== undefined, 'the router to watch and serve /metrics', 60_000);
    const url = `http://${router.address()}/metrics`;
    const scrapes = () =>
      Promise.all(
        Array.from({ length: SCRAPES }, async () => {
          try {
            const res = await fetch(url);
            return { status: res.status, text: await res.text() };
          } catch (error) {
            return { status: 0, text: String(error) };
          }
        }),
      );
    const now = new Date().toISOString();
    let duringBurst: ReturnType<typeof scrapes> | undefined;
    for (let sent = 0; sent < COMBINATIONS; ) {
      const end = Math.min(COMBINATIONS, sent + 500);
      let chunk = '';
      for (let i = sent; i < end; i++) chunk += `${watchLine(i, now)}\n`;
      api.injectRaw(chunk.slice(0, -1));
      sent = end;
      // Scraped while the burst is being routed, records in flight, series past the limit.
      if (sent === COMBINATIONS / 2) duringBurst = scrapes();
      // Keep what waits in socket buffers small: the burst is the router's to absorb, not the test's.
      await alive(() => router.delivered() >= sent - 10_000, `delivery to catch up with ${sent} sent`, 120_000);
    }
    await alive(() => router.delivered() >= COMBINATIONS, `all ${COMBINATIONS} records on stdout`, 180_000);
    for (const { status, text } of (await duringBurst) ?? []) assert.equal(status, 200, `a scrape during the burst: ${text.slice(0, 300)}`);

    const responses = await scrapes();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(exited, false, `the router exited during the scrapes (${JSON.stringify(cgroup.report())}): ${router.stderr()}`);
    for (const { status, text } of responses) assert.equal(status, 200, text.slice(0, 300));

    const samples = parseSamples(responses[0]!.text);
    const events = samples.filter((s) => s.name === 'eventrouter_events_total');
    const overflow = events.filter((s) => s.labels['otel_metric_overflow'] === 'true');
    const heap = (name: string) => ((samples.find((s) => s.name === name)?.value ?? 0) / 1024 / 1024).toFixed(1);
    t.diagnostic(`events_total: ${events.length} series (${overflow.length} overflow), /metrics ${Buffer.byteLength(responses[0]!.text)} bytes; heap ${heap('eventrouter_nodejs_heap_size_used_bytes')} of ${heap('eventrouter_nodejs_heap_size_total_bytes')} MiB`);
    assert.ok(events.length <= EVENTS_SERIES_LIMIT, `${events.length} series of eventrouter_events_total`);
    assert.equal(overflow.length, 1, 'one overflow series holds the combinations beyond the limit');
    assert.equal(events.reduce((sum, s) => sum + s.value, 0), COMBINATIONS, 'every event counted, in its series or in the overflow');
    const folded = samples.find((s) => s.name === 'eventrouter_metric_series_overflow_total' && s.labels['instrument'] === 'eventrouter_events_total');
    assert.equal(folded?.value, overflow[0]!.value, 'the overflow is counted');
    assert.ok(samples.length < 20_000, `${samples.length} samples on /metrics`);

    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${router.child.pid}/status`, 'utf8'))?.[1];
    router.child.kill('SIGTERM');
    const { code } = await router.exit;
    const memory = cgroup.report();
    // VmHWM counts the node binary's file pages too, which the page cache charged to whoever read them first.
    t.diagnostic(`peak RSS (VmHWM) ${(Number(hwm) / 1024).toFixed(1)} MiB; cgroup: limit ${memory.limitMb} MiB, peak ${memory.peakMb.toFixed(1)} MiB, failcnt ${memory.failcnt}, oom kills ${memory.oomKills}`);
    assert.equal(memory.oomKills, 0, 'memory.oom_control: no OOM kill');
    assert.equal(code, 0, router.stderr());
  });
});
