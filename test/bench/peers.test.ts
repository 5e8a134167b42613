/**
 * The bench's side-by-side peers (issue 21 targets 5 and 6): the simulated cluster serves every
 * involved object and the discovery kubernetes-event-exporter maps kinds with; the receiver
 * counts a peer's JSON lines from a named pipe; the comparison renders as an SVG chart; the
 * build script says how to get the source when it has none.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { comparisonSvg } from '../../bench/lib/comparison-chart.ts';
import { EventGenerator } from '../../bench/lib/event-generator.ts';

const BENCH = new URL('../../bench/', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

type Message = { type: string } & Record<string, any>;

/** Forks a bench helper and waits (bounded) for its message of `type`. */
function helper(script: string, arg: unknown): { child: ChildProcess; next: (type: string) => Promise<Message> } {
  const child = fork(join(BENCH, script), [JSON.stringify(arg)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  const inbox: Message[] = [];
  const waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  child.on('message', (m: Message) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i === -1) inbox.push(m);
    else waiters.splice(i, 1)[0]?.resolve(m);
  });
  const next = (type: string) => {
    const i = inbox.findIndex((m) => m.type === type);
    if (i !== -1) return Promise.resolve(inbox.splice(i, 1)[0] as Message);
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no ${type} within 60 s`)), 60_000);
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  };
  return { child, next };
}

test('with objects, the simulated cluster serves discovery and every involved object at the path a RESTMapper gives', async () => {
  const sim = helper('sim-server.ts', { replicas: 2, seed: 't', objects: true });
  const { url } = await sim.next('ready');
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  assert.deepEqual((await get('/api')).body['versions'], ['v1']);
  const groups = (await get('/apis')).body['groups'] as Array<{ name: string; preferredVersion: { groupVersion: string } }>;
  const resources = new Map<string, { path: string; namespaced: boolean }>();
  for (const gv of ['v1', ...groups.map((g) => g.preferredVersion.groupVersion)]) {
    const list = (await get(gv === 'v1' ? '/api/v1' : `/apis/${gv}`)).body;
    assert.equal(list['kind'], 'APIResourceList');
    for (const r of list['resources'] as Array<{ name: string; kind: string; namespaced: boolean }>) {
      resources.set(r.kind, { path: `${gv === 'v1' ? '/api/v1' : `/apis/${gv}`}`, namespaced: r.namespaced });
      resources.set(`${r.kind}/plural`, { path: r.name, namespaced: r.namespaced });
    }
  }
  const generator = new EventGenerator({ replicas: 2, seed: 't' });
  let checked = 0;
  for (const { kind } of generator.involvedKinds()) {
    const r = resources.get(kind);
    assert.ok(r, `discovery maps kind ${kind}`);
    const plural = resources.get(`${kind}/plural`)?.path;
    for (const o of generator.involvedObjects(kind)) {
      const at: string = `${r.path}${r.namespaced ? `/namespaces/${o.namespace}` : ''}/${plural}/${o.name}`;
      const answer = await get(at);
      assert.equal(answer.status, 200, at);
      assert.equal(answer.body['metadata']['name'], o.name);
      assert.ok(Object.keys(answer.body['metadata']['labels'] ?? {}).length > 0, `${at} has labels`);
      checked += 1;
    }
  }
  assert.ok(checked > 40, `${checked} objects checked`);
  sim.child.send({ cmd: 'stop' });
});

test('the receiver counts a peer\'s JSON lines from its named pipe: lines, distinct events, enriched involved objects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fifo-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'events.ndjson');
  const rx = helper('receiver.ts', { fifo });
  await rx.next('ready');
  const line = (name: string, labels: boolean) =>
    `${JSON.stringify({ metadata: { name, namespace: 'a' }, involvedObject: { kind: 'Pod', name: 'p', fieldPath: 'spec.containers{app}', ...(labels ? { labels: { app: 'x' } } : {}), deleted: false } })}\n`;
  const fd = openSync(fifo, 'w');
  // One event twice, a line split across two writes, one object without labels.
  writeSync(fd, line('e1', true) + line('e2', false));
  const third = line('e3', true);
  writeSync(fd, third.slice(0, 20));
  writeSync(fd, third.slice(20) + line('e1', true));
  closeSync(fd);
  rx.child.send({ cmd: 'waitFor', records: 4 });
  const reached = await rx.next('reached');
  assert.equal(reached['lines'], 4);
  assert.equal(reached['distinct'], 3);
  assert.equal(reached['enriched'], 3);
  const exited = new Promise((resolve) => rx.child.once('exit', resolve));
  rx.child.send({ cmd: 'stop' });
  await exited;
});

test('the comparison renders to SVG without a browser: every tool, its figures, a peer killed in the limit', async () => {
  const svg = await comparisonSvg(
    [
      { tool: 'eventrouter → OTLP', cpuUsPerEvent: 45.5, eventsPerSec: 5739, cgroupPeakMb: 55 },
      { tool: 'Collector k8s_events → OTLP', cgroupPeakMb: 128, note: 'OOM-killed in 128 MiB' },
      { tool: 'kubernetes-event-exporter (GETs objects) → file', cpuUsPerEvent: 59.7, eventsPerSec: 6725, cgroupPeakMb: 93 },
    ],
    'same stream',
    128,
  );
  assert.match(svg, /^<svg /);
  const texts = (svg.match(/<text[^>]*>[^<]*<\/text>/g) ?? []).map((t) => t.replace(/<[^>]*>/g, ''));
  for (const expected of ['eventrouter → OTLP', 'Collector k8s_events → OTLP', 'kubernetes-event-exporter (GETs objects) → file', '45.5', '59.7', '5,739', '6,725', '55', '128 (OOM-killed in 128 MiB)', '93']) {
    assert.ok(texts.includes(expected), `"${expected}" in ${texts.join('|')}`);
  }
  // The killed peer keeps its row in the CPU and rate panels, with the reason instead of a figure.
  assert.equal(texts.filter((t) => t === 'OOM-killed in 128 MiB').length, 2);
});

test('the exporter build script without source exits 3 and says how to get it', async () => {
  const script = join(BENCH, 'peers/build-event-exporter.sh');
  const cache = mkdtempSync(join(tmpdir(), 'bench-kee-cache-'));
  after(() => rmSync(cache, { recursive: true, force: true }));
  const run = promisify(execFile)(script, [], { env: { PATH: process.env['PATH'], EVENTROUTER_E2E_CACHE: cache, EVENTROUTER_EVENT_EXPORTER_GIT: cache } });
  const error = await run.then(() => undefined, (e: { code: number; stderr: string }) => e);
  assert.ok(error, 'the script failed');
  assert.equal(error.code, 3);
  assert.match(error.stderr, /git clone https:\/\/github\.com\/resmoio\/kubernetes-event-exporter/);
  assert.match(error.stderr, /EVENTROUTER_EVENT_EXPORTER_GIT=/);
});
