/**
 * Shared helpers of the end-to-end suite: the real kube-apiserver (admin client cert or a
 * ServiceAccount token), the real Collector's file-exporter output, and the eventrouter CLI
 * run as a child process. Needs the environment of `scripts/e2e-cluster env`.
 */
import type { ReceivedLog } from '../support/otlp-receiver.ts';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { routerCommand } from './router-bundle.ts';

export const REPO = new URL('../../', import.meta.url).pathname;

/** Every variable the suite reads; `scripts/e2e-cluster env` exports them all. */
export const REQUIRED_ENV = [
  'KUBECONFIG',
  'EVENTROUTER_E2E_STATE',
  'EVENTROUTER_E2E_APISERVER',
  'EVENTROUTER_E2E_CA',
  'EVENTROUTER_E2E_ADMIN_CERT',
  'EVENTROUTER_E2E_ADMIN_KEY',
  'EVENTROUTER_E2E_OTLP_HTTP',
  'EVENTROUTER_E2E_OTLP_GRPC',
  'EVENTROUTER_E2E_OTEL_OUT',
  'EVENTROUTER_E2E_OTELCOL',
  'EVENTROUTER_E2E_KUBECTL',
  'EVENTROUTER_E2E_CLUSTER',
] as const;

export type E2eEnv = Record<(typeof REQUIRED_ENV)[number], string>;

/** The e2e environment, or an error that says how to get it (never a silent skip). */
export function e2eEnv(): E2eEnv {
  const missing = REQUIRED_ENV.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `end-to-end environment missing (${missing.join(', ')}). Run:\n` +
        '  scripts/e2e-build && scripts/e2e-cluster start && eval "$(scripts/e2e-cluster env)"\n' +
        'then npm run test:e2e (and scripts/e2e-cluster stop afterwards).',
    );
  }
  const env = Object.fromEntries(REQUIRED_ENV.map((name) => [name, process.env[name] as string])) as E2eEnv;
  for (const file of ['EVENTROUTER_E2E_CA', 'EVENTROUTER_E2E_OTELCOL', 'EVENTROUTER_E2E_KUBECTL', 'EVENTROUTER_E2E_CLUSTER'] as const) {
    if (!existsSync(env[file])) throw new Error(`${file}=${env[file]} does not exist (scripts/e2e-build, scripts/e2e-cluster start)`);
  }
  return env;
}

/** A short unique id for names (namespaces, clusterName, lease names). */
export function runId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/** A scratch directory under the cluster's state dir (kept for post-mortems). */
export function scratchDir(name: string): string {
  const dir = join(e2eEnv().EVENTROUTER_E2E_STATE, 'e2e', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs` with `what` and `detail()`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------ kube-apiserver

export interface KubeResponse {
  status: number;
  body: any;
  text: string;
}

export interface Credentials {
  token?: string;
}

/** One request to the real API server, as admin (client cert) or with a bearer token. */
export function kube(method: string, path: string, body?: unknown, creds: Credentials = {}, contentType = 'application/json'): Promise<KubeResponse> {
  const env = e2eEnv();
  const url = new URL(path, env.EVENTROUTER_E2E_APISERVER);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(env.EVENTROUTER_E2E_CA),
        ...(creds.token
          ? { headers: { authorization: `Bearer ${creds.token}` } }
          : { cert: readFileSync(env.EVENTROUTER_E2E_ADMIN_CERT), key: readFileSync(env.EVENTROUTER_E2E_ADMIN_KEY) }),
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) {
      req.setHeader('content-type', contentType);
      req.write(payload);
    }
    req.end();
  });
}

/** Like {@link kube} but throws unless the status is 2xx; returns the parsed body. */
export async function kubeOk(method: string, path: string, body?: unknown, creds: Credentials = {}, contentType?: string): Promise<any> {
  const res = await kube(method, path, body, creds, contentType);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  return res.body;
}

export async function createNamespace(name: string): Promise<void> {
  const res = await kube('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`create namespace ${name}: HTTP ${res.status} ${res.text}`);
}

export async function kubeSystemUid(): Promise<string> {
  return (await kubeOk('GET', '/api/v1/namespaces/kube-system')).metadata.uid;
}

/** Runs the cluster script (`restart-apiserver`, `compact`); resolves with its stdout. */
export function clusterCommand(command: string, timeoutMs = 120_000): Promise<string> {
  return execText(e2eEnv().EVENTROUTER_E2E_CLUSTER, [command], timeoutMs);
}

export function execText(file: string, args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

/** Result of a command that may fail: the exit code and its output. */
export function execResult(file: string, args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A kubeconfig for the real API server with a bearer token. */
export function writeTokenKubeconfig(path: string, token: string): string {
  const env = e2eEnv();
  const ca = readFileSync(env.EVENTROUTER_E2E_CA).toString('base64');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server: env.EVENTROUTER_E2E_APISERVER, 'certificate-authority-data': ca } }],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'sa' } }],
      'current-context': 'e2e',
    }),
    { mode: 0o600 },
  );
  return path;
}

// ------------------------------------------------------------------ events from fixtures

const STRIP_METADATA = ['resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'selfLink', 'generation', 'deletionTimestamp', 'ownerReferences'];

/** A fixture Event made creatable: server-set metadata stripped, a unique name, moved into `namespace`. */
export function creatableCoreEvent(fixture: Record<string, unknown>, namespace: string, name: string): Record<string, any> {
  const event = structuredClone(fixture) as Record<string, any>;
  const meta: Record<string, any> = { ...(event['metadata'] ?? {}) };
  for (const key of STRIP_METADATA) delete meta[key];
  meta['name'] = name;
  meta['namespace'] = namespace;
  delete meta['generateName'];
  event['metadata'] = meta;
  event['apiVersion'] = 'v1';
  event['kind'] = 'Event';
  const involved = { ...(event['involvedObject'] ?? {}) };
  // The API server requires involvedObject.namespace == metadata.namespace (or empty for
  // cluster-scoped objects in `default`); keep cluster-scoped objects cluster-scoped.
  if (involved['namespace']) involved['namespace'] = namespace;
  event['involvedObject'] = involved;
  if (event['related']?.namespace) event['related'] = { ...event['related'], namespace };
  return event;
}

/**
 * A fixture Event (core/v1 or events.k8s.io/v1beta1 shape) as an events.k8s.io/v1 object the
 * API server accepts: deprecated fields unset (v1 create refuses them), eventTime and the
 * reporting fields filled in from their legacy counterparts when missing.
 */
export function creatableEventsV1(fixture: Record<string, unknown>, namespace: string, name: string): Record<string, any> {
  const f = structuredClone(fixture) as Record<string, any>;
  const regarding = { ...(f['regarding'] ?? f['involvedObject'] ?? {}) };
  if (regarding['namespace']) regarding['namespace'] = namespace;
  const source = f['deprecatedSource'] ?? f['source'] ?? {};
  const eventTime = f['eventTime'] ?? f['deprecatedFirstTimestamp'] ?? f['firstTimestamp'] ?? f['metadata']?.creationTimestamp ?? new Date().toISOString();
  const controller = f['reportingController'] || f['reportingComponent'] || source.component || 'e2e-test';
  const event: Record<string, any> = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace },
    eventTime: microTime(eventTime),
    reportingController: controller,
    reportingInstance: f['reportingInstance'] || source.host || controller,
    action: f['action'] || f['reason'] || 'Unknown',
    reason: f['reason'] || 'Unknown',
    regarding,
    note: f['note'] ?? f['message'] ?? '',
    type: f['type'] === 'Warning' ? 'Warning' : 'Normal',
  };
  if (f['related']) event['related'] = { ...f['related'], ...(f['related'].namespace ? { namespace } : {}) };
  if (f['series']) event['series'] = f['series'];
  return event;
}

/** RFC 3339 with microseconds, as the API server wants eventTime (MicroTime). */
export function microTime(value: string): string {
  const date = new Date(value);
  const iso = Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  return `${iso.slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

/** POSTs a core/v1 Event; returns the created object. */
export function postCoreEvent(event: Record<string, any>): Promise<any> {
  return kubeOk('POST', `/api/v1/namespaces/${event['metadata'].namespace}/events`, event);
}

/** POSTs an events.k8s.io/v1 Event; returns the created object. */
export function postEventsV1(event: Record<string, any>): Promise<any> {
  return kubeOk('POST', `/apis/events.k8s.io/v1/namespaces/${event['metadata'].namespace}/events`, event);
}

let simpleSeq = 0;

/** A small unique core/v1 Event about a Pod in `namespace`. */
export function simpleEvent(namespace: string, tag: string, extra: Record<string, unknown> = {}): Record<string, any> {
  simpleSeq += 1;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${tag}.${process.pid.toString(16)}${simpleSeq.toString(16).padStart(8, '0')}`, namespace },
    involvedObject: { kind: 'Pod', name: `pod-${simpleSeq % 5}`, namespace, uid: `00000000-0000-0000-0000-00000000000${simpleSeq % 5}`, apiVersion: 'v1' },
    reason: 'E2eTest',
    message: `${tag} event ${simpleSeq}`,
    type: simpleSeq % 3 === 0 ? 'Warning' : 'Normal',
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'e2e', host: 'node-e2e' },
    ...extra,
  };
}

/** Creates `n` simple events, `parallel` at a time; returns their uids. */
export async function createSimpleEvents(namespace: string, tag: string, n: number, parallel = 10): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () => postCoreEvent(simpleEvent(namespace, tag)));
    for (const created of await Promise.all(batch)) uids.push(created.metadata.uid);
  }
  return uids;
}

// ------------------------------------------------------------------ the Collector's output

export type Attrs = Record<string, string | number | boolean | unknown>;

/** One log record as the real Collector wrote it (file exporter, OTLP/JSON): the shape the loopback receiver decodes to. */
export type OtelRecord = ReceivedLog;

export function anyValue(value: any): unknown {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('boolValue' in value) return value.boolValue;
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributesOf(value.kvlistValue.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

export function attributesOf(list: Array<{ key: string; value: unknown }> | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Every log record in an OTLP/JSON file (one Export request per line); a torn last line is skipped. */
export function readOtlpFile(path: string): OtelRecord[] {
  if (!existsSync(path)) return [];
  const out: OtelRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let request: any;
    try {
      request = JSON.parse(line);
    } catch {
      continue;
    }
    for (const rl of request.resourceLogs ?? []) {
      const resource = attributesOf(rl.resource?.attributes);
      for (const sl of rl.scopeLogs ?? []) {
        const scope = { name: sl.scope?.name ?? '', version: sl.scope?.version ?? '' };
        for (const lr of sl.logRecords ?? []) {
          out.push({
            resource,
            scope,
            timeUnixNano: String(lr.timeUnixNano ?? '0'),
            observedTimeUnixNano: String(lr.observedTimeUnixNano ?? '0'),
            severityNumber: Number(lr.severityNumber ?? 0),
            severityText: lr.severityText ?? '',
            body: anyValue(lr.body),
            eventName: lr.eventName ?? '',
            attributes: attributesOf(lr.attributes),
          });
        }
      }
    }
  }
  return out;
}

/** The records the shared e2e Collector received for one `k8s.cluster.name`. */
export function collected(clusterName: string): OtelRecord[] {
  return readOtlpFile(e2eEnv().EVENTROUTER_E2E_OTEL_OUT).filter((r) => r.resource['k8s.cluster.name'] === clusterName);
}

/** Dedupe key of a record: `k8s.event.uid/k8s.event.count`. */
export function keyOf(record: OtelRecord): string {
  return `${record.attributes['k8s.event.uid']}/${record.attributes['k8s.event.count']}`;
}

export function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Delivery summary of `records` against the expected event uids (each at count 1 unless `expectedKeys`). */
export function delivery(records: OtelRecord[], expectedKeys: string[]): { missing: string[]; duplicates: number; unexpected: string[] } {
  const counts = countBy(records, keyOf);
  const expected = new Set(expectedKeys);
  const missing = expectedKeys.filter((k) => !counts.has(k));
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  const unexpected = [...counts.keys()].filter((k) => !expected.has(k));
  return { missing, duplicates, unexpected };
}

// ------------------------------------------------------------------ the router as a child process

export interface RouterProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Writes `config` (JSON is YAML) to `dir/name.yaml` and starts the router on it as the image
 * runs it: the production bundle with the Dockerfile's node flags and ENV (./router-bundle.ts).
 */
export function startRouter(dir: string, name: string, config: Record<string, unknown>, env: Record<string, string> = {}): RouterProcess {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  const router = routerCommand(e2eEnv().EVENTROUTER_E2E_STATE);
  const [node = process.execPath, ...args] = router.argv;
  const child = spawn(node, [...args, '--config', path], {
    cwd: router.cwd,
    env: { PATH: process.env['PATH'], HOME: dir, KUBECONFIG: process.env['KUBECONFIG'], EVENTROUTER_LOG_LEVEL: 'info', ...router.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      writeFileSync(join(dir, `${name}.${child.pid}.log`), `${stdout}\n--- stderr ---\n${stderr}`);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 40_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A router config for the e2e cluster: fast retries, no HTTP server, one OTLP sink. */
export function routerConfig(options: {
  clusterName: string;
  namespaces: string[];
  protocol?: 'http/protobuf' | 'http/json' | 'grpc';
  api?: 'core/v1' | 'events.k8s.io/v1';
  checkpoint?: Record<string, unknown>;
  leaderElection?: Record<string, unknown>;
  maxBatchSize?: number;
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  const env = e2eEnv();
  const protocol = options.protocol ?? 'http/protobuf';
  return {
    clusterName: options.clusterName,
    source: { api: options.api ?? 'core/v1', namespaces: options.namespaces, minBackoff: '200ms', maxBackoff: '2s' },
    checkpoint: options.checkpoint ?? { store: 'none' },
    leaderElection: options.leaderElection ?? { enabled: false },
    server: { listen: '' },
    sinks: [
      {
        name: 'collector',
        type: 'otlp',
        endpoint: protocol === 'grpc' ? env.EVENTROUTER_E2E_OTLP_GRPC : env.EVENTROUTER_E2E_OTLP_HTTP,
        protocol,
        batchTimeout: '200ms',
        maxBatchSize: options.maxBatchSize ?? 100,
        initialBackoff: '200ms',
        maxBackoff: '2s',
      },
    ],
    ...options.extra,
  };
}
