/**
 * What ships, tested as it ships: scripts/build.ts's bundle, assembled into an /app of its own
 * as the Dockerfile's runtime stage does (no node_modules/ reachable), run with the ENTRYPOINT's
 * node flags and the runtime ENV (test/deploy/image.ts reads both from the Dockerfile) against
 * the simulated API server, exporting to real receivers over every protocol and option. Code
 * that only the bundle gets wrong (a chunk that lost its exports, a module left out) passes
 * every test that runs src/; here it loses records. Each chunk the bundle loads on demand is
 * loaded by one of these runs, which the last test checks.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { makePki, type TestPki } from '../support/certs.ts';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { podEvent } from '../support/harness.ts';
import { OtlpReceiver, type ReceivedLog, waitFor } from '../support/otlp-receiver.ts';
import { emulateImage, type EmulatedImage, ROOT } from '../deploy/image.ts';

const EVENTS_LISTED = 40;
const EVENTS_WATCHED = 20;
const EVENTS = EVENTS_LISTED + EVENTS_WATCHED;

/** One sink of the run and the real receiver behind it. */
interface Case {
  sink: Record<string, unknown>;
  logs: () => ReceivedLog[];
  /** What the receiver saw of the transport, checked once every record arrived. */
  check: () => void;
  stop: () => Promise<void> | void;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

describe('the production bundle alone, run as the image runs it', () => {
  let work = '';
  let image: EmulatedImage;
  let pki: TestPki;
  let api: FakeApiServer;
  const cases = new Map<string, Case>();
  let metrics: { server: Server; url: string; requests: { path: string; contentType: string }[] };
  /** Every file: URL the runs loaded (a module hook of this test, outside the bundle, records them). */
  let loadedLog = '';
  let observer = '';

  /** The image's command line (ENTRYPOINT flags, then the script) and environment, plus the observer. */
  function start(args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
    const child = spawn(process.execPath, [...image.flags, '--import', pathToFileURL(observer).href, image.entry, ...args], {
      cwd: image.app,
      env: { PATH: process.env['PATH'] ?? '', HOME: work, ...image.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code, signal) => {
        children.delete(child);
        resolve({ code, signal, stdout, stderr });
      }),
    );
    return { child, done };
  }

  /** Runs to the end, bounded (a hang fails rather than holding the suite). */
  async function run(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    const { child, done } = start(args, extraEnv);
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'eventrouter-bundle-'));
    image = emulateImage(work);
    loadedLog = join(work, 'loaded.txt');
    observer = join(work, 'observe-loads.mjs');
    writeFileSync(
      observer,
      [
        "import { registerHooks } from 'node:module';",
        "import { appendFileSync } from 'node:fs';",
        'registerHooks({',
        `  load(url, context, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(loadedLog)}, url + '\\n'); return next(url, context); },`,
        '});',
      ].join('\n'),
    );
    pki = makePki();
    api = new FakeApiServer();
    await api.start();
    for (let i = 0; i < EVENTS_LISTED; i++) api.create('/api/v1/events', podEvent({}, `ns-${i % 4}`));

    const httpCase = async (name: string, sink: Record<string, unknown>, tls: 'tls' | 'mtls' | undefined, check: (r: OtlpReceiver) => void) => {
      const receiver = new OtlpReceiver();
      const options = tls === undefined ? undefined : { cert: pki.serverCert, key: pki.serverKey, ...(tls === 'mtls' ? { ca: pki.ca, requestCert: true, rejectUnauthorized: true } : {}) };
      const url = await receiver.start(0, options);
      cases.set(name, { sink: { name, type: 'otlp', endpoint: url, ...sink }, logs: () => receiver.logs, check: () => check(receiver), stop: () => receiver.stop() });
    };
    /** A gRPC case; with `proxy`, the router reaches its receiver through it. */
    const grpcCase = async (name: string, sink: Record<string, unknown>, tls: 'tls' | 'mtls' | undefined, check: () => void, proxy?: SniffingProxy) => {
      const credentials =
        tls === undefined
          ? grpc.ServerCredentials.createInsecure()
          : grpc.ServerCredentials.createSsl(tls === 'mtls' ? pki.ca : null, [{ private_key: pki.serverKey, cert_chain: pki.serverCert }], tls === 'mtls');
      const receiver = await grpcReceiver(() => null, credentials);
      const url = proxy === undefined ? receiver.url : await proxy.start(receiver.url);
      const endpoint = tls === undefined ? url : url.replace('http:', 'https:');
      const stop = async () => {
        await proxy?.stop();
        receiver.stop();
      };
      cases.set(name, { sink: { name, type: 'otlp', endpoint, protocol: 'grpc', ...sink }, logs: () => receiver.received, check, stop });
    };
    const trustServer = { caFile: pki.caFile };
    const clientCertificate = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile };

    await httpCase('http-protobuf', { protocol: 'http/protobuf', compression: 'none' }, undefined, (r) => {
      assert.deepEqual(new Set(r.requests.map((q) => `${q.contentType} ${q.encoding}`)), new Set(['application/x-protobuf ']));
    });
    await httpCase('http-json', { protocol: 'http/json', compression: 'none' }, undefined, (r) => {
      assert.deepEqual(new Set(r.requests.map((q) => `${q.contentType} ${q.encoding}`)), new Set(['application/json ']));
    });
    await httpCase('http-gzip', { protocol: 'http/protobuf', compression: 'gzip' }, undefined, (r) => {
      assert.deepEqual(new Set(r.requests.map((q) => q.encoding)), new Set(['gzip']));
    });
    await httpCase('http-json-gzip', { protocol: 'http/json', compression: 'gzip' }, undefined, (r) => {
      assert.deepEqual(new Set(r.requests.map((q) => `${q.contentType} ${q.encoding}`)), new Set(['application/json gzip']));
    });
    await httpCase('https-tls', { protocol: 'http/protobuf', tls: trustServer }, 'tls', () => undefined);
    await httpCase('https-mtls', { protocol: 'http/protobuf', tls: clientCertificate }, 'mtls', (r) => {
      assert.ok(r.clientCertificates.length > 0 && r.clientCertificates.every((cn) => cn === 'eventrouter-client'), `client certificates: ${r.clientCertificates.join(', ')}`);
    });
    await grpcCase('grpc', { compression: 'none' }, undefined, () => undefined);
    // gRPC hides the message encoding from a service's handler: a proxy reads it off the wire.
    const wire = sniffingProxy();
    await grpcCase(
      'grpc-gzip',
      { compression: 'gzip' },
      undefined,
      () => {
        const flags = grpcMessageFlags(wire.clientBytes());
        assert.ok(flags.length > 0 && flags.every((compressed) => compressed === 1), `compressed flags of the messages: ${flags.join(',')}`);
      },
      wire,
    );
    await grpcCase('grpc-tls', { tls: trustServer }, 'tls', () => undefined);
    // The server refuses a call without a client certificate signed by the CA: records arriving is the check.
    await grpcCase('grpc-mtls', { tls: clientCertificate, compression: 'gzip' }, 'mtls', () => undefined);

    // The router's own metrics, pushed over OTLP/HTTP (a chunk of their own).
    const requests: { path: string; contentType: string }[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? '') });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    metrics = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const c of cases.values()) await c.stop();
    if (metrics) await new Promise<void>((resolve) => metrics.server.close(() => resolve()));
    if (api) await api.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('has nothing but the bundle in its /app, and no node_modules/ above it', () => {
    assert.deepEqual(readdirSync(image.app), ['dist']);
    for (let dir = image.app; dir !== join(dir, '..'); dir = join(dir, '..')) assert.equal(existsSync(join(dir, 'node_modules')), false, `node_modules/ in ${dir}`);
  });

  it('delivers every record, once, over http/protobuf, http/json, gRPC, with gzip, TLS and mTLS', async () => {
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: sim, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: sim, user: {}}]',
      'contexts: [{name: sim, context: {cluster: sim, user: sim}}]',
      'current-context: sim',
    ].join('\n'));
    const config = join(work, 'run.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        clusterName: 'bundle-test',
        checkpoint: { store: 'file', path: join(work, 'checkpoint.json') },
        server: { listen: '127.0.0.1:0' },
        selfMetrics: { otlpEndpoint: metrics.url, interval: '1s' },
        sinks: [...cases.values()].map((c) => ({ ...c.sink, batchTimeout: '50ms', maxBatchSize: 25, initialBackoff: '100ms', maxBackoff: '1s' })),
      }),
    );
    const router = start(['--config', config], { KUBECONFIG: kubeconfig, EVENTROUTER_LOG_LEVEL: 'warn' });
    let exited: Run | undefined;
    void router.done.then((r) => (exited = r));
    const arrived = (n: number) => () => {
      if (exited !== undefined) throw new Error(`the router exited (${exited.code ?? exited.signal}):\n${exited.stderr.slice(-3000)}`);
      return [...cases.values()].every((c) => c.logs().length >= n);
    };
    const missing = () => [...cases].map(([name, c]) => `${name}: ${c.logs().length}`).join(', ');
    try {
      await waitFor(arrived(EVENTS_LISTED), 'the listed events at every receiver', 60_000).catch((error: Error) => {
        throw new Error(`${error.message} (${missing()})`);
      });
      // And what the watch brings.
      for (let i = 0; i < EVENTS_WATCHED; i++) api.create('/api/v1/events', podEvent({}, `ns-${i % 4}`));
      await waitFor(arrived(EVENTS), 'the watched events at every receiver', 60_000).catch((error: Error) => {
        throw new Error(`${error.message} (${missing()})`);
      });
      await waitFor(() => metrics.requests.length > 0, "the router's own metrics over OTLP", 60_000);
    } finally {
      router.child.kill('SIGTERM');
    }
    const result = await router.done;
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    const expected = new Set([...(api.snapshot().objects.get('/api/v1/events')?.values() ?? [])].map((e) => String(e.metadata['uid'])));
    assert.equal(expected.size, EVENTS);
    for (const [name, c] of cases) {
      const uids = c.logs().map((log) => String(log.attributes['k8s.event.uid']));
      assert.equal(uids.length, EVENTS, `${name}: every record once`);
      assert.deepEqual(new Set(uids), expected, `${name}: the cluster's events`);
      c.check();
    }
    assert.ok(metrics.requests.every((r) => r.path === '/v1/metrics' && r.contentType === 'application/x-protobuf'), JSON.stringify(metrics.requests));
    assert.doesNotMatch(result.stderr, /"level":(50|60)/, 'no error logged');
  });

  it('runs the demo, `config check`, `config schema` and `replay` from the bundle', async () => {
    const demo = await run(['demo', '--duration', '1s', '--interval', '100ms']);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /records exported from [1-9]\d* simulated events/);
    const check = await run(['config', 'check', '--config', join(work, 'run.yaml')]);
    assert.equal(check.code, 0, check.stderr);
    assert.equal((JSON.parse(check.stdout) as { sinks: unknown[] }).sinks.length, cases.size);
    const schema = await run(['config', 'schema']);
    assert.equal(schema.code, 0, schema.stderr);
    assert.equal((JSON.parse(schema.stdout) as { type: string }).type, 'object');
    const fixtures = join(ROOT, 'test', 'fixtures');
    const dump = readdirSync(join(fixtures, 'real-events')).find((f) => f.endsWith('eventlist.yaml'));
    assert.ok(dump, 'an event dump among the fixtures');
    const replay = await run(['replay', join(fixtures, 'real-events', dump)]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /"k8s\.event\.reason"|reason/);
  });

  it('loaded, in these runs, every file of the bundle its entry points can reach', () => {
    const loaded = new Set(readFileSync(loadedLog, 'utf8').split('\n').filter(Boolean).map((url) => fileURLToPath(url)));
    // The entry points: the ENTRYPOINT's script, and the config worker the CLI starts by path.
    const roots = [image.entry, join(dirname(image.entry), 'config-worker.js')];
    const reachable = new Set<string>();
    const lazy = new Set<string>();
    const visit = (file: string): void => {
      if (reachable.has(file)) return;
      reachable.add(file);
      // Static (`from "./x.js"`, `import "./x.js"`) and dynamic (`import("./x.js")`, loaded on demand) imports.
      for (const [, keyword, target = ''] of readFileSync(file, 'utf8').matchAll(/\b(from|import\s*\(|import)\s*"(\.{1,2}\/[^"]+\.js)"/g)) {
        const path = resolve(dirname(file), target);
        if (keyword?.startsWith('import') && keyword.includes('(')) lazy.add(path);
        visit(path);
      }
    };
    for (const root of roots) visit(root);
    assert.ok(reachable.size > 10 && lazy.size > 10, `files reachable: ${reachable.size}, loaded on demand: ${lazy.size}`);
    const notLoaded = [...reachable].filter((file) => !loaded.has(file)).map((file) => relative(image.app, file));
    assert.deepEqual(notLoaded, [], 'reachable files that no run loaded');
  });
});

type SniffingProxy = ReturnType<typeof sniffingProxy>;

/** A loopback TCP proxy that keeps what the client sent. */
function sniffingProxy() {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let server: NetServer | undefined;
  return {
    async start(target: string): Promise<string> {
      const { hostname, port } = new URL(target);
      server = createNetServer((client) => {
        const upstream = connect({ host: hostname, port: Number(port) });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => sockets.delete(socket));
        }
        client.on('data', (d: Buffer) => chunks.push(d));
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    clientBytes: () => Buffer.concat(chunks),
    async stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/**
 * The compressed flag (first byte of each length-prefixed gRPC message) of every message a
 * client sent over cleartext HTTP/2: the connection preface, then frames of a 9-byte header
 * (length, type, flags, stream); DATA frames (type 0, maybe padded) carry each stream's messages.
 */
function grpcMessageFlags(bytes: Buffer): number[] {
  const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const flags: number[] = [];
  const pending = new Map<number, Buffer>();
  let offset = bytes.subarray(0, PREFACE.length).toString('latin1') === PREFACE ? PREFACE.length : 0;
  while (offset + 9 <= bytes.length) {
    const length = bytes.readUIntBE(offset, 3);
    const type = bytes[offset + 3];
    const frameFlags = bytes[offset + 4] ?? 0;
    const stream = bytes.readUInt32BE(offset + 5) & 0x7fffffff;
    let payload = bytes.subarray(offset + 9, offset + 9 + length);
    offset += 9 + length;
    if (type !== 0) continue;
    if (frameFlags & 0x8) payload = payload.subarray(1, payload.length - (payload[0] ?? 0));
    let buffer = Buffer.concat([pending.get(stream) ?? Buffer.alloc(0), payload]);
    while (buffer.length >= 5 && buffer.length >= 5 + buffer.readUInt32BE(1)) {
      flags.push(buffer[0] ?? -1);
      buffer = buffer.subarray(5 + buffer.readUInt32BE(1));
    }
    pending.set(stream, buffer);
  }
  return flags;
}
