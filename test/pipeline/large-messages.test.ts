import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBundle, imageEnv, imageNodeFlags } from '../../bench/lib/image-runtime.ts';
import { type CgroupReport, MemoryCgroup, memoryCgroupUnavailable } from '../../bench/lib/memory-cgroup.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { podEvent } from '../support/harness.ts';

/**
 * Events with 1 MiB messages, as anyone allowed to create an Event can send them, through the
 * production bundle with the image's node flags in a 128 MiB memory cgroup (the shipped limit).
 * Before records were cut at mapping time, each record kept the whole message (the cut body was
 * a slice of it) and the in-flight budget counted only the cut: the router aborted (V8 heap out
 * of memory) after ~44 records. `npm run bench -- --only bigmsg` runs 1,000 of them.
 */
const MESSAGE_BYTES = 1024 * 1024;
const LIMIT_MB = 128;
const MAX_BODY_LENGTH = 32_768;

const unavailable = memoryCgroupUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'eventrouter-bigmsg-'));
let entry = '';

/** A message of exactly `MESSAGE_BYTES` ASCII characters that starts with the event's own index. */
function bigMessage(i: number): string {
  const head = `event ${i}: `;
  return head + 'm'.repeat(MESSAGE_BYTES - head.length);
}

interface Run {
  child: ChildProcess;
  cgroup: MemoryCgroup;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function startRouter(name: string, api: FakeApiServer, rx: OtlpReceiver): Run {
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'sim', user: {} }],
      contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim' } }],
      'current-context': 'sim',
    }),
  );
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    JSON.stringify({
      clusterName: 'bigmsg',
      source: { backfill: 'all' },
      checkpoint: { store: 'none' },
      enrich: { owners: false },
      maxBodyLength: MAX_BODY_LENGTH,
      // The classic stdout format keeps each Event object (and remembers previous ones): it must be cut too.
      sinks: [
        { name: 'collector', type: 'otlp', endpoint: rx.url, protocol: 'http/protobuf' },
        { name: 'console', type: 'stdout', format: 'classic' },
      ],
      server: { listen: '127.0.0.1:0' },
      log: { level: 'warn' },
    }),
  );
  const cgroup = new MemoryCgroup(`test-${name}`, LIMIT_MB);
  const argv = cgroup.wrap([process.execPath, ...imageNodeFlags(), entry, 'run', '--config', config]);
  const env = { ...imageEnv(), PATH: process.env['PATH'], HOME: dir, KUBECONFIG: kubeconfig };
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, cgroup, exit, stderr: () => stderr };
}

/** Waits until the receiver holds `count` records; fails at once if the router exits first. */
async function delivered(run: Run, rx: OtlpReceiver, count: number, what: string): Promise<void> {
  let exited: string | undefined;
  void run.exit.then(({ code, signal }) => (exited = `router exited (${signal ?? `code ${code}`}) after ${rx.logs.length} records; OOM kills ${run.cgroup.report().oomKills}: ${run.stderr()}`));
  await waitFor(() => {
    if (exited !== undefined) throw new Error(exited);
    return rx.logs.length >= count;
  }, what, 240_000);
}

/** SIGTERM, then the cgroup's figures: the router must exit 0 (it drained), never killed. */
async function stop(run: Run): Promise<{ code: number | null; signal: NodeJS.Signals | null; memory: CgroupReport }> {
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const outcome = await run.exit;
  clearTimeout(timer);
  const memory = run.cgroup.report();
  run.cgroup.remove();
  return { ...outcome, memory };
}

function assertCut(rx: OtlpReceiver, count: number): void {
  const logs = rx.logs;
  assert.equal(logs.length, count, 'every event delivered once');
  const seen = new Set<number>();
  for (const log of logs) {
    const body = log.body as string;
    assert.equal(body.length, MAX_BODY_LENGTH);
    assert.equal(log.attributes['eventrouter.body.truncated'], true);
    assert.equal(log.attributes['eventrouter.body.original_length'], MESSAGE_BYTES);
    seen.add(Number(/^event (\d+): /.exec(body)?.[1]));
  }
  assert.equal(seen.size, count, 'each event is its own record');
}

describe('events with 1 MiB messages in a 128 MiB memory cgroup (production bundle, image flags)', { skip: unavailable }, () => {
  const rx = new OtlpReceiver();

  before(async () => {
    entry = buildBundle(join(dir, 'dist'));
    await rx.start();
  });
  after(async () => {
    await rx.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a watch burst of 150 cut to maxBodyLength, without an abort or an OOM kill', async () => {
    rx.reset();
    const api = new FakeApiServer();
    await api.start();
    const run = startRouter('watch', api, rx);
    try {
      await waitFor(() => api.watcherCount > 0, 'the router watching');
      for (let i = 0; i < 150; i++) api.create('/api/v1/events', podEvent({ message: bigMessage(i) }));
      await delivered(run, rx, 150, '150 records');
    } finally {
      const { code, signal, memory } = await stop(run);
      await api.stop();
      process.stdout.write(`# watch burst: ${rx.logs.length} delivered, cgroup peak ${memory.peakMb.toFixed(1)} MiB, OOM kills ${memory.oomKills}\n`);
      assert.equal(memory.oomKills, 0, 'memory.oom_control: no OOM kill');
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.stderr());
    }
    assertCut(rx, 150);
  });

  it('delivers a LIST of 120 stored in one page (pageSize 500) without an abort or an OOM kill', async () => {
    rx.reset();
    const api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < 120; i++) api.create('/api/v1/events', podEvent({ message: bigMessage(i) }));
    const run = startRouter('list', api, rx);
    try {
      await delivered(run, rx, 120, '120 records');
    } finally {
      const { code, signal, memory } = await stop(run);
      await api.stop();
      process.stdout.write(`# list: ${rx.logs.length} delivered, cgroup peak ${memory.peakMb.toFixed(1)} MiB, OOM kills ${memory.oomKills}\n`);
      assert.equal(memory.oomKills, 0, 'memory.oom_control: no OOM kill');
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, run.stderr());
    }
    assertCut(rx, 120);
  });
});
