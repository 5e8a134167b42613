import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  collection: string;
  namespace: string;
  object: Obj;
}

interface Watcher {
  collection: string;
  namespace: string;
  /** Set when the watch is on another API version's view of the collection. */
  view: ApiView | undefined;
  res: ServerResponse;
  bookmarks: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The resourceVersion the watch started from: nothing at or below it is sent (a watch from the future stays silent). */
  from: number;
}

/** The store of a {@link FakeApiServer} at one revision (opaque). */
export interface FakeApiSnapshot {
  readonly objects: Map<string, Map<string, Obj>>;
  readonly history: HistoryEntry[];
  readonly createdRv: Map<string, number>;
  readonly rv: number;
  readonly compacted: number;
}

export interface FakeApiServerOptions {
  /** How a watch from a compacted resourceVersion is refused: an ERROR frame in a 200 stream (what etcd-backed Event watches do) or an HTTP 410. */
  expiredAs?: 'frame' | 'status';
  /** Upper bound on a watch's `timeoutSeconds`, to make streams close sooner in tests. */
  maxWatchSeconds?: number;
  /** Send a BOOKMARK at this interval to watchers that allow them (Events rarely get any). */
  bookmarkIntervalMs?: number;
  /** Compact history automatically every this many ms (etcd default: 5 min). */
  autoCompactMs?: number;
  /** Delete events older than this (the API server's --event-ttl, default 1 h). */
  eventTtlMs?: number;
}

/** Parsed API path: `/api/v1[/namespaces/NS]/PLURAL[/NAME]` or `/apis/GROUP/VERSION/...`. */
interface ApiPath {
  collection: string;
  namespace: string;
  name: string | undefined;
}

function parsePath(pathname: string): ApiPath | undefined {
  const parts = pathname.split('/').filter(Boolean);
  let prefix: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    prefix = `/api/${parts[1]}`;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    prefix = `/apis/${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { collection: `${prefix}/${rest[2]}`, namespace: decodeURIComponent(rest[1] ?? ''), name: rest[3] && decodeURIComponent(rest[3]) };
  }
  if (rest.length === 0) return undefined;
  return { collection: `${prefix}/${rest[0]}`, namespace: '', name: rest[1] && decodeURIComponent(rest[1]) };
}

/**
 * A second API version served from the same stored objects, as the API server serves
 * events.k8s.io/v1 Events from the core/v1 ones: one object, one resourceVersion, two shapes.
 */
interface ApiView {
  /** The collection that holds the objects. */
  storage: string;
  apiVersion: string;
  /** Stored shape → this version. */
  out: (object: Obj) => Obj;
  /** This version → stored shape. */
  in: (object: Obj) => Obj;
}

const VIEWS: Record<string, ApiView> = {
  '/apis/events.k8s.io/v1/events': { storage: '/api/v1/events', apiVersion: 'events.k8s.io/v1', out: toEventsV1, in: toCoreEvent },
};

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** What kube-apiserver answers to a LIST at a resourceVersion it has not reached (storage.NewTooLargeResourceVersionError). */
function tooLarge(requested: number, current: number): Obj {
  return {
    ...status(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`),
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  };
}

/**
 * An in-process Kubernetes API server on loopback that behaves like the real one for what
 * eventrouter uses: a global, increasing resourceVersion (the etcd revision); LIST with
 * `limit`/`continue` (tokens expire with compaction: 410); WATCH from a resourceVersion with
 * history replay, `timeoutSeconds`, optional bookmarks, and 410 `Expired` for a compacted
 * resourceVersion; GET/POST/PUT/PATCH(merge)/DELETE on any collection; streams closed by the
 * server. It is the simulated cluster of the demo, the tests and the benchmarks.
 */
export class FakeApiServer {
  readonly options: FakeApiServerOptions;
  readonly #objects = new Map<string, Map<string, Obj>>();
  #history: HistoryEntry[] = [];
  readonly #createdRv = new Map<string, number>();
  #rv = 1000;
  #compacted = 0;
  readonly #watchers = new Set<Watcher>();
  #server: Server | undefined;
  #timers: NodeJS.Timeout[] = [];
  /** Requests served, by `METHOD path` (no query), for assertions on API call counts. */
  readonly requests = new Map<string, number>();
  /** Answers the next requests matching a predicate with a status, to inject failures. */
  readonly #failures: Array<{ match: (method: string, path: string, query: URLSearchParams) => boolean; status: number; times: number; body: Obj | undefined; headers: Record<string, string> }> = [];
  readonly #hangs: Array<(method: string, path: string) => boolean> = [];
  url = '';
  /** When set, a continued LIST page answers with the token it was asked with (a broken server's pagination loop). */
  repeatContinueToken = false;

  constructor(options: FakeApiServerOptions = {}) {
    this.options = options;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 1000;
    this.#server = server;
    // A port that is taken rejects the start (an 'error' event with no listener would crash the process, and the start would never settle).
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}`;
    if (this.options.autoCompactMs) this.#timers.push(setInterval(() => this.compact(), this.options.autoCompactMs));
    if (this.options.eventTtlMs) this.#timers.push(setInterval(() => this.expireEvents(), Math.min(60_000, this.options.eventTtlMs)));
    if (this.options.bookmarkIntervalMs) this.#timers.push(setInterval(() => this.#bookmark(), this.options.bookmarkIntervalMs));
    for (const timer of this.#timers) timer.unref();
    return this.url;
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.closeWatches();
    await new Promise<void>((resolve) => {
      if (this.#server === undefined) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  // ---- store -------------------------------------------------------------------------

  #bucket(collection: string): Map<string, Obj> {
    let bucket = this.#objects.get(collection);
    if (bucket === undefined) {
      bucket = new Map();
      this.#objects.set(collection, bucket);
    }
    return bucket;
  }

  #record(type: HistoryEntry['type'], collection: string, object: Obj): void {
    const namespace = String(object.metadata['namespace'] ?? '');
    const entry: HistoryEntry = { rv: this.#rv, type, collection, namespace, object };
    this.#history.push(entry);
    for (const watcher of this.#watchers) {
      if (entry.rv <= watcher.from) continue;
      if (watcher.collection === collection && (watcher.namespace === '' || watcher.namespace === namespace)) {
        watcher.res.write(`${JSON.stringify({ type, object: watcher.view ? watcher.view.out(object) : object })}\n`);
      }
    }
  }

  /**
   * Creates an object in `collection` (e.g. `/api/v1/events`); fills uid, resourceVersion,
   * creationTimestamp. On a view (`/apis/events.k8s.io/v1/events`) the object is stored in its
   * core/v1 shape and returned in the view's.
   */
  create(collection: string, input: Record<string, unknown>): Obj {
    const view = VIEWS[collection];
    if (view !== undefined) return view.out(this.create(view.storage, view.in(input as Obj)));
    const object = structuredClone(input) as Obj;
    object.metadata = { ...(object.metadata ?? {}) };
    const md = object.metadata;
    if (md['name'] === undefined && typeof md['generateName'] === 'string') md['name'] = `${md['generateName']}${randomUUID().slice(0, 5)}`;
    const key = `${md['namespace'] ?? ''}/${md['name']}`;
    const bucket = this.#bucket(collection);
    if (bucket.has(key)) throw new Error(`${collection} ${key} already exists`);
    md['uid'] ??= randomUUID();
    md['creationTimestamp'] ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.#rv += 1;
    md['resourceVersion'] = String(this.#rv);
    bucket.set(key, object);
    this.#createdRv.set(`${collection}|${key}`, this.#rv);
    this.#record('ADDED', collection, object);
    return object;
  }

  /** Replaces an object through `mutate` (a MODIFIED notification with a new resourceVersion). */
  update(collection: string, namespace: string, name: string, mutate: (object: Obj) => void): Obj {
    const view = VIEWS[collection];
    if (view !== undefined) {
      const updated = this.update(view.storage, namespace, name, (stored) => {
        const shown = view.out(stored);
        mutate(shown);
        const next = view.in(shown);
        for (const key of Object.keys(stored)) delete stored[key];
        Object.assign(stored, next);
      });
      return view.out(updated);
    }
    const bucket = this.#bucket(collection);
    const current = bucket.get(`${namespace}/${name}`);
    if (current === undefined) throw new Error(`${collection} ${namespace}/${name} not found`);
    const next = structuredClone(current);
    mutate(next);
    this.#rv += 1;
    next.metadata['resourceVersion'] = String(this.#rv);
    bucket.set(`${namespace}/${name}`, next);
    this.#record('MODIFIED', collection, next);
    return next;
  }

  delete(collection: string, namespace: string, name: string): boolean {
    const view = VIEWS[collection];
    if (view !== undefined) return this.delete(view.storage, namespace, name);
    const bucket = this.#bucket(collection);
    const current = bucket.get(`${namespace}/${name}`);
    if (current === undefined) return false;
    bucket.delete(`${namespace}/${name}`);
    this.#createdRv.delete(`${collection}|${namespace}/${name}`);
    this.#rv += 1;
    const gone = structuredClone(current);
    gone.metadata['resourceVersion'] = String(this.#rv);
    this.#record('DELETED', collection, gone);
    return true;
  }

  get(collection: string, namespace: string, name: string): Obj | undefined {
    const view = VIEWS[collection];
    if (view !== undefined) {
      const stored = this.get(view.storage, namespace, name);
      return stored && view.out(stored);
    }
    return this.#objects.get(collection)?.get(`${namespace}/${name}`);
  }

  count(collection: string): number {
    return this.#objects.get(VIEWS[collection]?.storage ?? collection)?.size ?? 0;
  }

  /** Forgets history up to the current resourceVersion, as etcd compaction does. */
  compact(): void {
    this.#compacted = this.#rv;
    this.#history = [];
  }

  /** Deletes events older than the TTL (by creation time), as the API server's event TTL does. */
  expireEvents(ttlMs = this.options.eventTtlMs ?? 3_600_000): number {
    const cutoff = Date.now() - ttlMs;
    let expired = 0;
    for (const collection of ['/api/v1/events']) {
      for (const [key, object] of [...(this.#objects.get(collection) ?? [])]) {
        if (Date.parse(String(object.metadata['creationTimestamp'])) < cutoff) {
          const [namespace = '', name = ''] = key.split('/');
          this.delete(collection, namespace, name);
          expired += 1;
        }
      }
    }
    return expired;
  }

  /** A copy of the whole store at this revision, as an etcd backup (`etcdctl snapshot save`) holds it. */
  snapshot(): FakeApiSnapshot {
    return structuredClone({ objects: this.#objects, history: this.#history, createdRv: this.#createdRv, rv: this.#rv, compacted: this.#compacted });
  }

  /**
   * Restores a {@link snapshot}, as an etcd restore from a backup does: everything written after
   * it is gone and the revision goes back to the snapshot's, so a client's resourceVersion may now
   * be in the cluster's future. Open watches are cut (the API server restarts on a restore).
   */
  restore(snapshot: FakeApiSnapshot): void {
    const copy = structuredClone(snapshot);
    this.#objects.clear();
    for (const [collection, bucket] of copy.objects) this.#objects.set(collection, bucket);
    this.#createdRv.clear();
    for (const [key, rv] of copy.createdRv) this.#createdRv.set(key, rv);
    this.#history = copy.history;
    this.#rv = copy.rv;
    this.#compacted = copy.compacted;
    this.closeWatches();
  }

  /** Ends every open watch stream, as an API server restart or a load balancer would. */
  closeWatches(): void {
    for (const watcher of this.#watchers) {
      clearTimeout(watcher.timer);
      watcher.res.end();
    }
    this.#watchers.clear();
  }

  /** Writes a raw line (text or bytes, e.g. invalid UTF-8) into every open watch stream, for malformed-input tests. */
  injectRaw(line: string | Buffer): void {
    const bytes = Buffer.concat([typeof line === 'string' ? Buffer.from(line) : line, Buffer.from('\n')]);
    for (const watcher of this.#watchers) watcher.res.write(bytes);
  }

  /**
   * Writes `data` (a newline is added) into every open watch stream in chunks of `chunkSize`
   * bytes, yielding to the event loop between chunks, as a slow link trickles a large event.
   */
  async injectChunked(data: string | Buffer, chunkSize: number): Promise<void> {
    const bytes = Buffer.concat([typeof data === 'string' ? Buffer.from(data) : data, Buffer.from('\n')]);
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, offset + chunkSize);
      for (const watcher of this.#watchers) watcher.res.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Answers the next `times` requests that `match` with `status` (a Status body, by default an `Injected` one, and `headers`, e.g. Retry-After). */
  failRequests(
    match: (method: string, path: string, query: URLSearchParams) => boolean,
    statusCode: number,
    times = 1,
    body?: Obj,
    headers: Record<string, string> = {},
  ): void {
    this.#failures.push({ match, status: statusCode, times, body, headers });
  }

  /**
   * Requests matching `match` are never answered (an API server that accepts the connection and
   * then hangs); they end when the client gives up or the server stops.
   */
  hangRequests(match: (method: string, path: string) => boolean): void {
    this.#hangs.push(match);
  }

  /** The Status kube-apiserver answers to a LIST at a resourceVersion it has not reached, for injecting with {@link failRequests}. */
  static tooLargeStatus(requested: number, current: number): Obj {
    return tooLarge(requested, current);
  }

  #bookmark(): void {
    for (const watcher of this.#watchers) {
      if (!watcher.bookmarks || watcher.from > this.#rv) continue;
      const object = { kind: 'Event', apiVersion: watcher.view?.apiVersion ?? 'v1', metadata: { resourceVersion: String(this.#rv) } };
      watcher.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------

  #send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const counterKey = `${method} ${url.pathname}`;
    this.requests.set(counterKey, (this.requests.get(counterKey) ?? 0) + 1);
    if (this.#hangs.some((hang) => hang(method, url.pathname))) return;
    const failure = this.#failures.find((f) => f.times > 0 && f.match(method, url.pathname, url.searchParams));
    if (failure !== undefined) {
      failure.times -= 1;
      return this.#send(res, failure.status, failure.body ?? status(failure.status, 'Injected', `injected failure ${failure.status}`), failure.headers);
    }
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }
    const path = parsePath(url.pathname);
    if (path === undefined) return this.#send(res, 404, status(404, 'NotFound', `no route for ${url.pathname}`));
    const view = VIEWS[path.collection];
    if (method === 'GET' && path.name === undefined) {
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return this.#watch(path, url.searchParams, res, view);
      return this.#list(path, url.searchParams, res, view);
    }
    if (method === 'GET' && path.name !== undefined) {
      const object = this.get(path.collection, path.namespace, path.name);
      if (object === undefined) return this.#send(res, 404, status(404, 'NotFound', `${path.name} not found`));
      return this.#send(res, 200, object);
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => this.#write(method, path, body, res));
  }

  /** Writes through a view: the public methods convert, so the HTTP layer only passes the view's collection on. */
  #write(method: string, path: ApiPath, body: string, res: ServerResponse): void {
    let input: Obj | undefined;
    try {
      input = body ? (JSON.parse(body) as Obj) : undefined;
    } catch {
      return this.#send(res, 400, status(400, 'BadRequest', 'invalid JSON body'));
    }
    try {
      if (method === 'POST' && path.name === undefined && input !== undefined) {
        input.metadata = { ...(input.metadata ?? {}) };
        if (path.namespace) input.metadata['namespace'] = path.namespace;
        const name = input.metadata['name'];
        if (name !== undefined && this.get(path.collection, path.namespace, String(name))) {
          return this.#send(res, 409, status(409, 'AlreadyExists', `${String(name)} already exists`));
        }
        return this.#send(res, 201, this.create(path.collection, input));
      }
      if ((method === 'PUT' || method === 'PATCH') && path.name !== undefined && input !== undefined) {
        const current = this.get(path.collection, path.namespace, path.name);
        if (current === undefined) return this.#send(res, 404, status(404, 'NotFound', `${path.name} not found`));
        const expected = input.metadata?.['resourceVersion'];
        if (method === 'PUT' && expected !== undefined && expected !== current.metadata['resourceVersion']) {
          return this.#send(res, 409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version'));
        }
        const updated = this.update(path.collection, path.namespace, path.name, (object) => {
          if (method === 'PUT') {
            for (const key of Object.keys(object)) delete object[key];
            Object.assign(object, input, { metadata: { ...current.metadata, ...input?.metadata } });
          } else mergePatch(object, input as Record<string, unknown>);
        });
        return this.#send(res, 200, updated);
      }
      if (method === 'DELETE' && path.name !== undefined) {
        const current = this.get(path.collection, path.namespace, path.name);
        if (!this.delete(path.collection, path.namespace, path.name)) {
          return this.#send(res, 404, status(404, 'NotFound', `${path.name} not found`));
        }
        return this.#send(res, 200, current);
      }
    } catch (error) {
      return this.#send(res, 500, status(500, 'InternalError', (error as Error).message));
    }
    return this.#send(res, 405, status(405, 'MethodNotAllowed', `${method} not supported here`));
  }

  /** Objects of the collection (in the view's shape when `view` is set) that the namespace and fieldSelector select. */
  #matching(path: ApiPath, query: URLSearchParams, view?: ApiView): Obj[] {
    const bucket = this.#objects.get(view?.storage ?? path.collection);
    if (bucket === undefined) return [];
    const field = parseFieldSelector(query.get('fieldSelector'));
    const items: Obj[] = [];
    for (const [key, stored] of bucket) {
      if (path.namespace && !key.startsWith(`${path.namespace}/`)) continue;
      const object = view ? view.out(stored) : stored;
      if (!field(object)) continue;
      items.push(object);
    }
    return items;
  }

  #list(path: ApiPath, query: URLSearchParams, res: ServerResponse, view?: ApiView): void {
    const storage = view?.storage ?? path.collection;
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    const rvParam = query.get('resourceVersion') ?? '';
    if (token && rvParam !== '') {
      return this.#send(res, 400, status(400, 'BadRequest', 'specifying resource version is not allowed when using continue'));
    }
    // resourceVersion "" is a quorum read of the latest, "0" any; a number is a lower bound
    // (resourceVersionMatch NotOlderThan, the default) or the exact snapshot (Exact). Either
    // way a revision the store has not reached is refused at once, as etcd3 storage does.
    if (rvParam !== '' && rvParam !== '0') {
      const requested = Number(rvParam);
      if (!/^\d+$/.test(rvParam)) return this.#send(res, 400, status(400, 'BadRequest', `invalid resource version: ${rvParam}`));
      if (requested > this.#rv) return this.#send(res, 504, tooLarge(requested, this.#rv));
      if (query.get('resourceVersionMatch') === 'Exact' && requested <= this.#compacted) {
        return this.#send(res, 410, status(410, 'Expired', `too old resource version: ${requested} (${this.#compacted})`));
      }
    }
    let listRv = this.#rv;
    let after = '';
    if (token) {
      try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString()) as { rv: number; after: string };
        listRv = parsed.rv;
        after = parsed.after;
      } catch {
        return this.#send(res, 400, status(400, 'BadRequest', 'invalid continue token'));
      }
      if (listRv <= this.#compacted) {
        return this.#send(res, 410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
      }
    }
    // etcd returns keys in order; a continued page starts after the last key of the previous one.
    const all = this.#matching(path, query, view)
      .map((object) => ({ key: `${object.metadata['namespace'] ?? ''}/${object.metadata['name']}`, object }))
      // A continued page shows the snapshot of the first: objects created after it are left out.
      .filter((entry) => entry.key > after && (this.#createdRv.get(`${storage}|${entry.key}`) ?? 0) <= listRv)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = limit > 0 ? all.slice(0, limit) : all;
    const more = limit > 0 && all.length > limit;
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (more) {
      const last = page[page.length - 1]?.key ?? '';
      metadata['continue'] = this.repeatContinueToken && token ? token : Buffer.from(JSON.stringify({ rv: listRv, after: last })).toString('base64url');
      metadata['remainingItemCount'] = all.length - page.length;
    }
    const kind = `${path.collection.split('/').pop() ?? ''}`;
    this.#send(res, 200, { kind: `${kindOf(kind)}List`, apiVersion: apiVersionOf(path.collection), metadata, items: page.map((e) => e.object) });
  }

  #watch(path: ApiPath, query: URLSearchParams, res: ServerResponse, view?: ApiView): void {
    const storage = view?.storage ?? path.collection;
    const rvParam = query.get('resourceVersion') ?? '';
    // kube-apiserver v1.37 parses it as a uint64 and answers 500 when it is not one.
    if (rvParam !== '' && (!/^\d+$/.test(rvParam) || BigInt(rvParam) >= 2n ** 64n)) {
      const reason = /^\d+$/.test(rvParam) ? 'value out of range' : 'invalid syntax';
      return this.#send(res, 500, { ...status(500, '', `resourceVersion: Invalid value: "${rvParam}": strconv.ParseUint: parsing "${rvParam}": ${reason}`), reason: undefined });
    }
    const from = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && (Number.isNaN(from) || from < this.#compacted)) {
      const expired = status(410, 'Expired', `too old resource version: ${rvParam} (${this.#compacted})`);
      if (this.options.expiredAs === 'status') return this.#send(res, 410, expired);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: expired })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = {
      collection: storage,
      namespace: path.namespace,
      view,
      res,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      timer: undefined,
      // A watch from a revision not yet reached waits for it in silence, as an Event watch
      // (which bypasses the watch cache) does against etcd: no error, no bookmark.
      from: from ?? this.#rv,
    };
    const field = parseFieldSelector(query.get('fieldSelector'));
    if (from === undefined) {
      for (const object of this.#matching(path, query, view)) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    } else {
      for (const entry of this.#history) {
        if (entry.rv <= from || entry.collection !== storage) continue;
        if (path.namespace && entry.namespace !== path.namespace) continue;
        const object = view ? view.out(entry.object) : entry.object;
        if (!field(object)) continue;
        res.write(`${JSON.stringify({ type: entry.type, object })}\n`);
      }
    }
    const requested = Number(query.get('timeoutSeconds') ?? 1800);
    const seconds = Math.min(requested, this.options.maxWatchSeconds ?? requested);
    watcher.timer = setTimeout(() => {
      this.#watchers.delete(watcher);
      res.end();
    }, seconds * 1000);
    watcher.timer.unref();
    this.#watchers.add(watcher);
    res.on('close', () => {
      clearTimeout(watcher.timer);
      this.#watchers.delete(watcher);
    });
  }
}

function kindOf(plural: string): string {
  const kinds: Record<string, string> = {
    events: 'Event', pods: 'Pod', namespaces: 'Namespace', replicasets: 'ReplicaSet', deployments: 'Deployment',
    statefulsets: 'StatefulSet', daemonsets: 'DaemonSet', jobs: 'Job', cronjobs: 'CronJob', leases: 'Lease',
    configmaps: 'ConfigMap', nodes: 'Node',
  };
  return kinds[plural] ?? plural;
}

function apiVersionOf(collection: string): string {
  const parts = collection.split('/').filter(Boolean);
  return parts[0] === 'api' ? (parts[1] ?? 'v1') : `${parts[1]}/${parts[2]}`;
}

/** Supports `a.b=value` and `a.b!=value` terms joined by commas, as the API server does for Events. */
function parseFieldSelector(selector: string | null): (object: Obj) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(',').map((term) => {
    const negate = term.includes('!=');
    const [field = '', value = ''] = term.split(negate ? '!=' : /==?/);
    return { path: field.trim().split('.'), value: value.trim(), negate };
  });
  return (object) =>
    terms.every(({ path, value, negate }) => {
      let current: unknown = object;
      for (const key of path) current = (current as Record<string, unknown> | undefined)?.[key];
      const equal = String(current ?? '') === value;
      return negate ? !equal : equal;
    });
}

function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof target[key] === 'object' && target[key] !== null) {
      mergePatch(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else target[key] = value;
  }
}

/** core/v1 field → events.k8s.io/v1 field, as the API server's conversion renames them. */
const EVENTS_V1_RENAMES: ReadonlyArray<readonly [core: string, eventsV1: string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];
/** Fields with the same name in both versions. */
const EVENTS_V1_SAME = ['related', 'reason', 'type', 'action', 'eventTime', 'series', 'reportingInstance'];

function convertEvent(from: Obj, apiVersion: string, renames: ReadonlyArray<readonly [string, string]>): Obj {
  const out: Obj = { kind: 'Event', apiVersion, metadata: structuredClone(from.metadata) };
  for (const [source, target] of renames) if (from[source] !== undefined) out[target] = structuredClone(from[source]);
  for (const key of EVENTS_V1_SAME) if (from[key] !== undefined) out[key] = structuredClone(from[key]);
  return out;
}

/** A stored core/v1 Event as events.k8s.io/v1 serves it. */
export function toEventsV1(core: Obj): Obj {
  return convertEvent(core, 'events.k8s.io/v1', EVENTS_V1_RENAMES);
}

/** An events.k8s.io/v1 Event in its core/v1 (storage) shape. */
function toCoreEvent(eventsV1: Obj): Obj {
  return convertEvent(eventsV1, 'v1', EVENTS_V1_RENAMES.map(([core, v1]) => [v1, core] as const));
}
