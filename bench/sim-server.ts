/**
 * The simulated API server of the benchmarks, run as its own process (`fork`ed by run.ts,
 * commanded over IPC). Event LIST and WATCH are served here from an {@link EventGenerator}
 * with back-pressure (`res.write` → `drain`); every other request (the kube-system Namespace,
 * Pods, ReplicaSets, Deployments for enrichment) is proxied to an in-process
 * {@link FakeApiServer}. Why not FakeApiServer for Events too: its `create()` costs ~140 µs per
 * event and its LIST sorts the whole collection for every page (~0.4 s per page at 50,000
 * events), so it, not the router, would be what the bench measures at 200,000 events.
 *
 * IPC in:  {cmd:'load', count} | {cmd:'stream', count} | {cmd:'steady', rate, durationMs} | {cmd:'stop'}
 * IPC out: {type:'ready', url} | {type:'watch', resourceVersion} | {type:'loaded'|'streamed'|'steady-done', produced}
 */
import { type IncomingMessage, type ServerResponse, Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeApiServer } from '../src/sim/fake-api-server.ts';
import { EventGenerator } from './lib/event-generator.ts';

interface Options {
  replicas: number;
  seed: string;
  /** Create Deployment → ReplicaSet → Pod objects for every involved Pod (owner enrichment). */
  owners: boolean;
  /** Pad every message with this many characters (the 1 MiB message scenario). */
  messageBytes: number;
  /**
   * Also create every involved object of every kind the stream refers to, and serve the
   * discovery documents for them: kubernetes-event-exporter GETs each event's involved object
   * through a RESTMapper built from discovery (the side-by-side scenario).
   */
  objects: boolean;
}

const options: Options = { replicas: 8, seed: 's', owners: false, messageBytes: 0, objects: false, ...JSON.parse(process.argv[2] ?? '{}') };
const BASE_RV = 5_000_000;
const generator = new EventGenerator({ replicas: options.replicas, seed: options.seed, messageBytes: options.messageBytes });
/** Lines per write: 128 ordinary events, or one when each is large. */
const LINES_PER_WRITE = options.messageBytes > 64 * 1024 ? 1 : 128;
/** Creation time (ms) of event i; events exist for i < produced. */
const createdAt: number[] = [];
let produced = 0;

interface Watcher {
  res: ServerResponse;
  next: number;
  waiting: boolean;
}
const watchers = new Set<Watcher>();

const send = (message: unknown) => process.send?.(message);

function produce(count: number, at = Date.now()): void {
  for (let k = 0; k < count; k++) createdAt.push(at);
  produced += count;
  for (const w of watchers) pump(w);
}

/** Writes what the watcher has not seen yet, in chunks, until the socket pushes back. */
function pump(w: Watcher): void {
  if (w.waiting) return;
  while (w.next < produced) {
    let chunk = '';
    const end = Math.min(produced, w.next + LINES_PER_WRITE);
    for (let i = w.next; i < end; i++) chunk += generator.watchLine(i, BASE_RV + i + 1, createdAt[i] as number);
    w.next = end;
    if (!w.res.write(chunk)) {
      w.waiting = true;
      w.res.once('drain', () => {
        w.waiting = false;
        pump(w);
      });
      return;
    }
  }
}

/**
 * One LIST page, written object by object with back-pressure (a page of 500 events of 1 MiB
 * is 500 MiB: never built as one string here); stops when the client goes away.
 */
async function list(url: URL, res: ServerResponse): Promise<void> {
  const limit = Number(url.searchParams.get('limit') ?? 0) || Number.MAX_SAFE_INTEGER;
  const token = url.searchParams.get('continue');
  let snapshot = produced;
  let offset = 0;
  if (token) ({ snapshot, offset } = JSON.parse(Buffer.from(token, 'base64url').toString()) as { snapshot: number; offset: number });
  const end = Math.min(snapshot, offset + limit);
  const metadata: Record<string, unknown> = { resourceVersion: String(BASE_RV + snapshot) };
  if (end < snapshot) {
    metadata['continue'] = Buffer.from(JSON.stringify({ snapshot, offset: end })).toString('base64url');
    metadata['remainingItemCount'] = snapshot - end;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  let chunk = `{"kind":"EventList","apiVersion":"v1","metadata":${JSON.stringify(metadata)},"items":[`;
  for (let i = offset; i < end; i++) {
    chunk += `${i > offset ? ',' : ''}${generator.objectJson(i, BASE_RV + i + 1, createdAt[i] as number)}`;
    if (chunk.length < 64 * 1024) continue;
    if (res.destroyed) return;
    const more = res.write(chunk);
    chunk = '';
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end(`${chunk}]}`);
}

function watch(url: URL, res: ServerResponse): void {
  const rv = Number(url.searchParams.get('resourceVersion') ?? 0);
  const next = rv > BASE_RV ? Math.min(produced, rv - BASE_RV) : produced;
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  const watcher: Watcher = { res, next, waiting: false };
  watchers.add(watcher);
  const timeout = setTimeout(() => res.end(), Number(url.searchParams.get('timeoutSeconds') ?? 1800) * 1000);
  res.on('close', () => {
    clearTimeout(timeout);
    watchers.delete(watcher);
  });
  send({ type: 'watch', resourceVersion: url.searchParams.get('resourceVersion') });
  pump(watcher);
}

const fake = new FakeApiServer();
const fakeUrl = new URL(await fake.start());
const agent = new Agent({ keepAlive: true });

function proxy(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: fakeUrl.hostname, port: fakeUrl.port, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

/** Where each kind of involved object lives (the fixtures' kinds); the discovery documents are made from it. */
const RESOURCES: Record<string, { group: string; version: string; plural: string; namespaced: boolean }> = {
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Node: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  ClusterOperator: { group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators', namespaced: false },
  MachineConfigPool: { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigpools', namespaced: false },
};
const groupVersion = (r: { group: string; version: string }) => (r.group === '' ? r.version : `${r.group}/${r.version}`);
const collectionOf = (r: { group: string; version: string; plural: string }) => `${r.group === '' ? '/api' : `/apis/${r.group}`}/${r.version}/${r.plural}`;

/** The legacy (non-aggregated) discovery documents: /api, /apis, /api/v1, /apis/GROUP/VERSION. */
function discovery(pathname: string): Record<string, unknown> | undefined {
  const all = Object.entries(RESOURCES);
  if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (pathname === '/apis') {
    const groups = [...new Set(all.map(([, r]) => r.group).filter((g) => g !== ''))].map((name) => {
      const versions = [...new Set(all.filter(([, r]) => r.group === name).map(([, r]) => r.version))].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions, preferredVersion: versions[0] };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const resources = all.filter(([, r]) => `${r.group === '' ? '/api' : `/apis/${r.group}`}/${r.version}` === pathname);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(resources[0]?.[1] as { group: string; version: string }),
    resources: resources.map(([kind, r]) => ({ name: r.plural, singularName: kind.toLowerCase(), namespaced: r.namespaced, kind, verbs: ['get', 'list', 'watch'] })),
  };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const document = options.objects && req.method === 'GET' ? discovery(url.pathname) : undefined;
  if (document !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(document));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/events') {
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return watch(url, res);
    void list(url, res);
    return;
  }
  proxy(req, res);
});
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

const created = new Set<string>();
const once = (collection: string, namespace: string, name: string, make: () => Record<string, unknown>) => {
  const key = `${collection}|${namespace}/${name}`;
  if (created.has(key)) return;
  created.add(key);
  fake.create(collection, make());
};
once('/api/v1/namespaces', '', 'kube-system', () => ({ metadata: { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } } }));
if (options.owners || options.objects) createOwners();
if (options.objects) createInvolvedObjects();

/** Every other involved object (Nodes, Namespaces, Deployments, ...), with its uid as the events give it. */
function createInvolvedObjects(): void {
  for (const { apiVersion, kind } of generator.involvedKinds()) {
    const r = RESOURCES[kind];
    if (r === undefined) continue;
    for (const o of generator.involvedObjects(kind)) {
      const namespace = r.namespaced ? o.namespace : '';
      once(collectionOf(r), namespace, o.name, () => ({
        apiVersion: apiVersion || groupVersion(r), kind,
        metadata: { name: o.name, ...(namespace ? { namespace } : {}), ...(o.uid ? { uid: o.uid } : {}), labels: { 'app.kubernetes.io/name': o.name } },
      }));
    }
  }
}

function createOwners(): void {
  for (const pod of generator.involvedObjects('Pod')) {
    // A Deployment pod is named <deployment>-<pod-template-hash>-<suffix>; others get no owner.
    const parts = pod.name.replace(/-r\d+$/, '').split('-');
    const owner: Record<string, unknown>[] = [];
    if (parts.length >= 3) {
      const rs = parts.slice(0, -1).join('-');
      const deployment = parts.slice(0, -2).join('-');
      const labels = { 'app.kubernetes.io/name': deployment, 'app.kubernetes.io/version': '1.0.0' };
      once('/apis/apps/v1/deployments', pod.namespace, deployment, () => ({
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name: deployment, namespace: pod.namespace, uid: `dep-${pod.namespace}-${deployment}`, labels },
      }));
      once('/apis/apps/v1/replicasets', pod.namespace, rs, () => ({
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: rs, namespace: pod.namespace, uid: `rs-${pod.namespace}-${rs}`, labels,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `dep-${pod.namespace}-${deployment}`, controller: true }],
        },
      }));
      owner.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: `rs-${pod.namespace}-${rs}`, controller: true });
    }
    once('/api/v1/pods', pod.namespace, pod.name, () => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, ownerReferences: owner, labels: { app: parts[0] ?? pod.name } },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
    }));
  }
}

let steadyTimer: NodeJS.Timeout | undefined;

process.on('message', (message: { cmd: string; count?: number; rate?: number; durationMs?: number; tickMs?: number }) => {
  switch (message.cmd) {
    case 'load':
      produce(message.count ?? 0);
      send({ type: 'loaded', produced });
      return;
    case 'stream':
      produce(message.count ?? 0);
      send({ type: 'streamed', produced });
      return;
    case 'steady': {
      // Events are created (stamped and written) every `tickMs` (1 ms: about one per chunk, as kube-apiserver
      // flushes each watch event), keeping the average rate exact.
      const rate = message.rate ?? 1000;
      const total = Math.round((rate * (message.durationMs ?? 0)) / 1000);
      const start = Date.now();
      const first = produced;
      steadyTimer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000));
        if (due > produced - first) produce(due - (produced - first));
        if (produced - first >= total) {
          clearInterval(steadyTimer);
          send({ type: 'steady-done', produced });
        }
      }, message.tickMs ?? 1);
      return;
    }
    case 'stop':
      clearInterval(steadyTimer);
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      server.close();
      void fake.stop().then(() => process.exit(0));
      return;
  }
});

send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, templates: generator.templateCount });
