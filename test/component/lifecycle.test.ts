import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer, get as httpGet, request as httpRequest } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { CheckpointCommitter } from '../../src/checkpoint/checkpoint-committer.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { FileCheckpointStore } from '../../src/checkpoint/file-checkpoint-store.ts';
import type { Component } from '../../src/component/component.ts';
import { OwnerEnricher } from '../../src/enrich/owner-enricher.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { LeaderTerms, type TermWork } from '../../src/leader/leader-terms.ts';
import { AlwaysLeading } from '../../src/leader/leadership.ts';
import { LeaseElector } from '../../src/leader/lease-elector.ts';
import type { EventRecord } from '../../src/model/event-record.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { AckTracker } from '../../src/checkpoint/ack-tracker.ts';
import { Pipeline } from '../../src/pipeline/pipeline.ts';
import { Router } from '../../src/router/router.ts';
import { EventLoopMonitor } from '../../src/server/event-loop-monitor.ts';
import { HttpServer } from '../../src/server/http-server.ts';
import { ClusterSimulator } from '../../src/sim/cluster-simulator.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { LiveViewSink } from '../../src/sim/live-view-sink.ts';
import { LocalOtlpReceivers } from '../../src/sim/local-otlp-receivers.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { SinkChain } from '../../src/sinks/sink-chain.ts';
import { StdoutSink } from '../../src/sinks/stdout/stdout-sink.ts';
import { DumpSource } from '../../src/source/dump-source.ts';
import { EventSource } from '../../src/source/event-source.ts';
import { watchSources } from '../../src/source/watch-sources.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { OtlpMetricsExport } from '../../src/telemetry/otlp-metrics-export.ts';
import { freePort } from '../support/free-port.ts';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';
import { otlpSink } from '../support/sinks.ts';

/**
 * One lifecycle test that every component passes, as the Collector generates for each of its
 * components (`generated_component_test.go`): a table with a row per component, each made with
 * real dependencies (the fake API server, loopback receivers on port 0, temp dirs), and for
 * every row
 *
 * - start → work → shutdown: the component does its work (a sink delivers a record, a source an
 *   event), and once shut down holds nothing while its peers still run: no listening socket,
 *   connection or ref'd timer more than before it started (`process.getActiveResourcesInfo()`),
 *   and nothing of its dependencies (a watch, the lease, a started sink);
 * - shutdown twice: the second is a no-op that resolves;
 * - shutdown before start: resolves, and leaves nothing behind;
 * - a start that fails (a port taken, an unreachable API, a sink that refuses) rejects and
 *   releases what it had started, without a shutdown; a component whose start cannot fail says
 *   why in its row (`cannotFail`), and one whose work is a background loop (a watch, a lease campaign) starts, fails in
 *   the loop, and its shutdown ends the retries.
 *
 * The last test scans src/ so that a new component without a row fails here.
 */

const EVENTS = '/api/v1/events';
const LEASES = '/apis/coordination.k8s.io/v1/leases';
/** Bound on each step (a start, a shutdown, a piece of work): a hang fails its row instead of the file. */
const STEP_MS = 30_000;

/** The dependencies a row starts; stopped (last first) after the component, before the leak check. */
class Peers {
  readonly #stops: Array<() => Promise<void> | void> = [];

  onTeardown(stop: () => Promise<void> | void): void {
    this.#stops.push(stop);
  }

  async api(): Promise<FakeApiServer> {
    const api = new FakeApiServer();
    await api.start();
    this.onTeardown(() => api.stop());
    return api;
  }

  async otlp(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await receiver.start();
    this.onTeardown(() => receiver.stop());
    return receiver;
  }

  async grpc(): Promise<Awaited<ReturnType<typeof grpcReceiver>>> {
    const receiver = await grpcReceiver();
    this.onTeardown(() => receiver.stop());
    return receiver;
  }

  /** A loopback port something else listens on. */
  async takenPort(): Promise<number> {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.onTeardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as AddressInfo).port;
  }

  /** A loopback URL nothing listens on (an unreachable API server or receiver). */
  async unreachable(): Promise<string> {
    return `http://127.0.0.1:${await freePort()}`;
  }

  /**
   * A plain HTTP server that answers every request 200 and counts them by `METHOD path`. Its idle
   * keep-alive connections close after Node's default 5 s: the SDK's metric exporter does not
   * close its pooled connection at shutdown (its agent comes from the SDK's env TLS settings).
   */
  async http(): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push(`${req.method} ${req.url}`);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.onTeardown(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  }

  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'eventrouter-lifecycle-'));
    this.onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async teardown(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) await stop();
  }
}

/** A component as a row made it. */
interface Made {
  component: Component;
  /** Proves the started component works (a record delivered, an event read, a request answered). */
  work(): Promise<void>;
  /** What it still holds of its dependencies (a watch, the lease, a started sink); [] once released. */
  held?(): string[];
  /** A background loop that cannot do its work: true once it has failed at least once. */
  failed?(): boolean;
}

/** How a row's start fails. */
interface FailingStart {
  /** What the failure is (for the test's name). */
  how: string;
  make(peers: Peers): Promise<Made>;
  /**
   * What `start()` rejects with. Unset: the component's work is a background loop, so `start()`
   * resolves and the failure is the loop's (`Made.failed` says when it has failed once); then
   * its shutdown must end the retries.
   */
  rejects?: RegExp;
}

interface Row {
  name: string;
  /** The classes of src/ this row exercises (the coverage check reads it). */
  covers: string[];
  make(peers: Peers): Promise<Made>;
  /** How its start fails (one way or several), or why it cannot. */
  failingStart: FailingStart | FailingStart[] | { cannotFail: string };
}

/** An in-memory sink that knows whether it is started; `refuse` makes its start reject. */
class TrackedSink extends InMemorySink {
  started = false;
  readonly #refuse: boolean;
  constructor(name: string, refuse = false) {
    super(name);
    this.#refuse = refuse;
  }
  override async start(): Promise<void> {
    if (this.#refuse) throw new Error(`sink ${this.name} cannot start`);
    this.started = true;
  }
  override async shutdown(): Promise<void> {
    this.started = false;
  }
}

/** Leadership terms whose work logs its start and stop. */
function loggedTerms(): { log: string[]; terms: LeaderTerms<TermWork> } {
  const log: string[] = [];
  const terms = new LeaderTerms({
    begin: () => ({
      start: async () => void log.push('start'),
      stop: async () => {
        log.push('stop');
        return { drained: true };
      },
    }),
    onLeading: () => undefined,
  });
  return { log, terms };
}

function stillStarted(sinks: TrackedSink[]): string[] {
  return sinks.filter((sink) => sink.started).map((sink) => `the started sink ${sink.name}`);
}

function record(): EventRecord {
  return mapEvent(normalizeEvent(podEvent()), 'ADDED');
}

function eventItem(resourceVersion: string): SourceItem {
  const raw = podEvent();
  return { kind: 'event', notification: 'ADDED', event: normalizeEvent(raw), raw, resourceVersion };
}

/** GET without a keep-alive pool (a pooled socket would count as held). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

function post(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function streamText(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/** `component`'s start and shutdown, for a class whose lifecycle methods are named otherwise. */
function lifecycle(start: () => Promise<unknown> | void, shutdown: () => Promise<unknown> | void): Component {
  return { start: async () => void (await start()), shutdown: async () => void (await shutdown()) };
}

const health = () => ({ alive: true, ready: true, details: {} });

const ROWS: Row[] = [
  {
    name: 'EventLoopMonitor',
    covers: ['EventLoopMonitor'],
    async make() {
      let reads = 0;
      const monitor = new EventLoopMonitor({
        intervalMs: 5,
        now: () => {
          reads += 1;
          return Date.now();
        },
      });
      return {
        component: monitor,
        async work() {
          const before = reads;
          await waitFor(() => reads >= before + 3, 'three heartbeats', STEP_MS);
          assert.equal(monitor.responsive, true);
        },
      };
    },
    failingStart: { cannotFail: 'start arms a timer; nothing can refuse it' },
  },
  {
    name: 'HttpServer',
    covers: ['HttpServer'],
    async make() {
      const server = new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health }, { metricsListen: '127.0.0.1:0' });
      return {
        component: server,
        async work() {
          assert.equal((await get(`http://${server.address}/healthz`)).status, 200);
          assert.match((await get(`http://${server.metricsAddress}/metrics`)).body, /^eventrouter_/m);
        },
      };
    },
    failingStart: {
      how: 'server.metricsListen is taken while server.listen is free',
      rejects: /server\.metricsListen: cannot listen on .*\(EADDRINUSE\)/,
      async make(peers) {
        const taken = await peers.takenPort();
        const server = new HttpServer('127.0.0.1:0', { metrics: new Metrics(), health }, { metricsListen: `127.0.0.1:${taken}` });
        return { component: server, work: async () => undefined };
      },
    },
  },
  {
    name: 'DumpSource',
    covers: ['DumpSource'],
    async make() {
      const delivered: SourceItem[] = [];
      const source = new DumpSource({ objects: [podEvent()], pageSize: 10, metrics: new Metrics(), logger: silentLogger(), deliver: async (items) => void delivered.push(...items) });
      return {
        component: source,
        async work() {
          await waitFor(() => delivered.length === 1, 'the dump event delivered', STEP_MS);
          assert.equal(delivered[0]?.kind, 'event');
        },
      };
    },
    failingStart: { cannotFail: 'it reads objects already in memory; a malformed one is counted and skipped, never fatal' },
  },
  {
    name: 'EventSource',
    covers: ['EventSource'],
    async make(peers) {
      const api = await peers.api();
      api.create(EVENTS, podEvent());
      const delivered: SourceItem[] = [];
      const source = new EventSource({
        client: KubeClient.fromServer(api.url),
        settings: testConfig().source,
        namespace: '',
        deliver: (items) => void delivered.push(...items),
        metrics: new Metrics(),
        logger: silentLogger(),
      });
      return {
        component: source,
        async work() {
          await waitFor(() => delivered.some((item) => item.kind === 'event') && api.watcherCount === 1, 'the event listed and a watch open', STEP_MS);
        },
        held: () => (api.watcherCount > 0 ? ['a watch on the API server'] : []),
      };
    },
    failingStart: {
      how: 'the API server is unreachable',
      async make(peers) {
        const source = new EventSource({
          client: KubeClient.fromServer(await peers.unreachable()),
          settings: testConfig().source,
          namespace: '',
          deliver: () => undefined,
          metrics: new Metrics(),
          logger: silentLogger(),
        });
        return { component: source, work: async () => undefined, failed: () => source.state === 'backing-off' };
      },
    },
  },
  {
    name: 'LeaseElector',
    covers: ['LeaseElector'],
    async make(peers) {
      const api = await peers.api();
      let leading = false;
      const elector = electorAgainst(api.url, () => void (leading = true));
      const holder = () => String((api.get(LEASES, 'ns', 'lease')?.['spec'] as Record<string, unknown> | undefined)?.['holderIdentity'] ?? '');
      return {
        component: elector,
        async work() {
          await waitFor(() => leading && holder() === 'me', 'leadership and the lease held', STEP_MS);
        },
        held: () => (holder() === 'me' ? ['the lease'] : []),
      };
    },
    failingStart: {
      how: 'the API server is unreachable',
      async make(peers) {
        const elector = electorAgainst(await peers.unreachable(), () => undefined);
        return { component: elector, work: async () => undefined, failed: () => elector.lastError !== undefined };
      },
    },
  },
  {
    name: 'OwnerEnricher',
    covers: ['OwnerEnricher'],
    async make(peers) {
      const api = await peers.api();
      const event = podEvent();
      const pod = event['involvedObject'] as { name: string; uid: string };
      api.create('/api/v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: 'default', uid: pod.uid, labels: { 'app.kubernetes.io/name': 'web' } }, spec: {} });
      const enricher = new OwnerEnricher({ ...testConfig().enrich, client: KubeClient.fromServer(api.url), metrics: new Metrics(), logger: silentLogger() });
      return {
        component: enricher,
        async work() {
          const metadata = await enricher.enrich(mapEvent(normalizeEvent(event), 'ADDED'));
          assert.equal(api.requests.get(`GET /api/v1/namespaces/default/pods/${pod.name}`), 1);
          assert.equal(metadata?.labels?.['app.kubernetes.io/name'], 'web');
        },
        held: () => (enricher.cacheSizes.objects + enricher.cacheSizes.resolved > 0 ? ['cached objects'] : []),
      };
    },
    failingStart: { cannotFail: 'start opens nothing: lookups begin with the first record' },
  },
  ...(['http/protobuf', 'http/json'] as const).map(
    (protocol): Row => ({
      name: `OtlpSink (${protocol})`,
      covers: ['OtlpSink'],
      async make(peers) {
        const receiver = await peers.otlp();
        const sink = otlpSink({ endpoint: receiver.url, protocol });
        return {
          component: sink,
          async work() {
            const outcome = await sink.export([protocol === 'http/json' ? record() : (sink.encode?.(record()) ?? record())]);
            assert.equal(outcome.ok, true);
            assert.equal(receiver.logs.length, 1);
          },
        };
      },
      failingStart: { cannotFail: 'start only loads the exporter; it connects on the first export, whose failure is an export outcome' },
    }),
  ),
  {
    name: 'OtlpSink (grpc)',
    covers: ['OtlpSink'],
    async make(peers) {
      const receiver = await peers.grpc();
      const sink = otlpSink({ endpoint: receiver.url, protocol: 'grpc' });
      return {
        component: sink,
        async work() {
          const outcome = await sink.export([sink.encode?.(record()) ?? record()]);
          assert.equal(outcome.ok, true);
          assert.equal(receiver.logs(), 1);
        },
      };
    },
    failingStart: { cannotFail: 'start only loads the exporter; it connects on the first export, whose failure is an export outcome' },
  },
  {
    name: 'StdoutSink',
    covers: ['StdoutSink'],
    async make() {
      const stream = new PassThrough();
      const text = streamText(stream);
      const sink = new StdoutSink({ name: 'stdout', stream });
      return {
        component: sink,
        async work() {
          const r = record();
          assert.equal((await sink.export([r])).ok, true);
          await waitFor(() => text().includes(r.event.name), 'the record written', STEP_MS);
        },
      };
    },
    failingStart: { cannotFail: 'the stream is given open; nothing is opened at start' },
  },
  {
    name: 'InMemorySink',
    covers: ['InMemorySink'],
    async make() {
      const sink = new InMemorySink();
      return {
        component: sink,
        async work() {
          assert.equal((await sink.export([record()])).ok, true);
          assert.equal(sink.records.length, 1);
        },
      };
    },
    failingStart: { cannotFail: 'it holds records in memory' },
  },
  {
    name: 'LiveViewSink',
    covers: ['LiveViewSink'],
    async make() {
      const stream = new PassThrough();
      const text = streamText(stream);
      const sink = new LiveViewSink(stream, false);
      return {
        component: sink,
        async work() {
          const r = record();
          assert.equal((await sink.export([r])).ok, true);
          await waitFor(() => text().includes(String(r.event.reason)), 'the line written', STEP_MS);
        },
      };
    },
    failingStart: { cannotFail: 'the stream is given open; nothing is opened at start' },
  },
  {
    name: 'SinkChain (its SinkQueue and RetrySender)',
    covers: ['SinkChain', 'SinkQueue'],
    async make() {
      const sink = new TrackedSink('chained');
      const chain = new SinkChain({ sink, config: testConfig().sinks?.[0], delivery: 'required', metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
      return {
        component: lifecycle(
          () => chain.start(),
          async () => {
            await chain.stop();
            await chain.shutdownSink(1000);
          },
        ),
        async work() {
          let acknowledged = false;
          chain.queue.push({ record: record(), ack: { done: () => void (acknowledged = true) } });
          await waitFor(() => acknowledged && sink.records.length === 1, 'the record acknowledged', STEP_MS);
        },
        held: () => stillStarted([sink]),
      };
    },
    failingStart: {
      how: 'its sink refuses to start',
      rejects: /sink refusing cannot start/,
      async make() {
        const sink = new TrackedSink('refusing', true);
        const chain = new SinkChain({ sink, config: undefined, delivery: 'required', metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
        return { component: lifecycle(() => chain.start(), () => chain.stop()), work: async () => undefined, held: () => stillStarted([sink]) };
      },
    },
  },
  {
    name: 'Pipeline',
    covers: ['Pipeline'],
    async make() {
      const sink = new TrackedSink('piped');
      const pipeline = new Pipeline({ config: testConfig(), sinks: [{ sink }], metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
      const tracker = new AckTracker();
      return {
        component: lifecycle(() => pipeline.start(), () => pipeline.shutdown(1000)),
        async work() {
          await pipeline.consume(tracker, [eventItem('1001')]);
          await waitFor(() => sink.records.length === 1 && tracker.committed === '1001', 'the record delivered and acknowledged', STEP_MS);
        },
        held: () => stillStarted([sink]),
      };
    },
    failingStart: {
      how: 'one of its two sinks refuses to start',
      rejects: /sink refusing cannot start/,
      async make() {
        const sinks = [new TrackedSink('refusing', true), new TrackedSink('willing')];
        const pipeline = new Pipeline({ config: testConfig(), sinks: sinks.map((sink) => ({ sink })), metrics: new Metrics(), logger: silentLogger(), afterAck: async () => {} });
        return { component: lifecycle(() => pipeline.start(), () => pipeline.shutdown(1000)), work: async () => undefined, held: () => stillStarted(sinks) };
      },
    },
  },
  {
    name: 'Router',
    covers: ['Router'],
    async make(peers) {
      const api = await peers.api();
      const sink = new TrackedSink('routed');
      const router = routerAgainst(api.url, [sink]);
      return {
        component: lifecycle(() => router.start(), () => router.stop(1000)),
        async work() {
          api.create(EVENTS, podEvent());
          await waitFor(() => sink.records.length === 1 && api.watcherCount === 1, 'the event delivered and a watch open', STEP_MS);
        },
        held: () => [...stillStarted([sink]), ...(api.watcherCount > 0 ? ['a watch on the API server'] : [])],
      };
    },
    failingStart: [
    {
      how: 'one of its two sinks refuses to start',
      rejects: /sink refusing cannot start/,
      async make(peers) {
        const sinks = [new TrackedSink('refusing', true), new TrackedSink('willing')];
        const router = routerAgainst(await peers.unreachable(), sinks);
        return { component: lifecycle(() => router.start(), () => router.stop(1000)), work: async () => undefined, held: () => stillStarted(sinks) };
      },
    },
    {
      how: 'the API server is unreachable',
      async make(peers) {
        const sink = new TrackedSink('routed');
        const router = routerAgainst(await peers.unreachable(), [sink]);
        return {
          component: lifecycle(() => router.start(), () => router.stop(1000)),
          work: async () => undefined,
          held: () => stillStarted([sink]),
          failed: () => !router.checkpointStatus.ok || router.watchStatus().some((w) => w.state === 'backing-off'),
        };
      },
    },
  ],
  },
  {
    name: 'App',
    covers: ['App'],
    async make(peers) {
      const api = await peers.api();
      const stdout = new PassThrough();
      const text = streamText(stdout);
      const app = new App({
        config: testConfig({ server: { listen: '127.0.0.1:0' } }),
        client: KubeClient.fromServer(api.url),
        logger: silentLogger(),
        checkpointStore: new NoCheckpointStore(),
        env: {},
        stdout,
      });
      return {
        component: lifecycle(() => app.start(), () => app.stop(1000)),
        async work() {
          const event = podEvent();
          api.create(EVENTS, event);
          const name = (event['metadata'] as { name: string }).name;
          await waitFor(() => text().includes(name), 'the event written by the stdout sink', STEP_MS);
          assert.equal((await get(`http://${app.serverAddress}/healthz`)).status, 200);
        },
        held: () => (api.watcherCount > 0 ? ['a watch on the API server'] : []),
      };
    },
    failingStart: [
    {
      how: 'server.listen is taken',
      rejects: /server\.listen: cannot listen on .*\(EADDRINUSE\)/,
      async make(peers) {
        const api = await peers.api();
        const taken = await peers.takenPort();
        const app = new App({
          config: testConfig({ server: { listen: `127.0.0.1:${taken}` } }),
          client: KubeClient.fromServer(api.url),
          logger: silentLogger(),
          checkpointStore: new NoCheckpointStore(),
          env: {},
          stdout: new PassThrough(),
        });
        return { component: lifecycle(() => app.start(), () => app.stop(1000)), work: async () => undefined, held: () => (api.watcherCount > 0 ? ['a watch on the API server'] : []) };
      },
    },
    {
      how: 'the API server is unreachable',
      async make(peers) {
        const app = appAgainst(await peers.unreachable());
        const watches = () => (app.health().details['watches'] as Array<{ state: string }> | undefined) ?? [];
        return { component: lifecycle(() => app.start(), () => app.stop(1000)), work: async () => undefined, failed: () => watches().some((w) => w.state === 'backing-off') };
      },
    },
    {
      how: 'leader election cannot reach the API server',
      async make(peers) {
        const app = appAgainst(await peers.unreachable(), { leaderElection: { enabled: true, leaseNamespace: 'ns', retryPeriod: '50ms' } });
        const leader = () => app.health().details['leader'] as { lastError: string | null } | undefined;
        return { component: lifecycle(() => app.start(), () => app.stop(1000)), work: async () => undefined, failed: () => (leader()?.lastError ?? null) !== null };
      },
    },
  ],
  },
  {
    name: 'CheckpointCommitter',
    covers: ['CheckpointCommitter'],
    async make(peers) {
      const path = join(peers.tempDir(), 'checkpoint.json');
      const committer = new CheckpointCommitter({ store: new FileCheckpointStore(path), api: 'events.k8s.io/v1', intervalMs: 0, metrics: new Metrics(), logger: silentLogger() });
      return {
        // Nothing to start: it writes when the cursor first moves.
        component: lifecycle(() => undefined, () => committer.shutdown()),
        async work() {
          committer.tracker('').add('1001', 0);
          await waitFor(() => readable(path).includes('"1001"'), 'the cursor written', STEP_MS);
        },
      };
    },
    failingStart: {
      how: 'its store cannot write (a file where the directory should be)',
      async make(peers) {
        const dir = peers.tempDir();
        writeFileSync(join(dir, 'not-a-directory'), '');
        const path = join(dir, 'not-a-directory', 'checkpoint.json');
        const committer = new CheckpointCommitter({ store: new FileCheckpointStore(path), api: 'events.k8s.io/v1', intervalMs: 0, metrics: new Metrics(), logger: silentLogger(), minBackoffMs: 10, maxBackoffMs: 50 });
        return {
          // Its start is the first move of the cursor.
          component: lifecycle(() => void committer.tracker('').add('1001', 0), () => committer.shutdown()),
          work: async () => undefined,
          failed: () => (committer.status.failures ?? 0) >= 2,
        };
      },
    },
  },
  {
    name: 'OtlpMetricsExport',
    covers: ['OtlpMetricsExport'],
    async make(peers) {
      const receiver = await peers.http();
      let exporter: OtlpMetricsExport | undefined;
      return {
        // Its reader starts with it: made at start.
        component: lifecycle(
          () => void (exporter = new OtlpMetricsExport({ metrics: new Metrics(), endpoint: receiver.url, intervalMs: 50, version: 'test', env: {} })),
          () => exporter?.shutdown(),
        ),
        async work() {
          await waitFor(() => receiver.requests.includes('POST /v1/metrics'), 'an export of the metrics', STEP_MS);
        },
      };
    },
    failingStart: {
      how: 'the receiver is unreachable',
      async make(peers) {
        const endpoint = await peers.unreachable();
        let exporter: OtlpMetricsExport | undefined;
        return {
          component: lifecycle(
            () => void (exporter = new OtlpMetricsExport({ metrics: new Metrics(), endpoint, intervalMs: 50, version: 'test', env: {} })),
            () => exporter?.shutdown(),
          ),
          work: async () => undefined,
        };
      },
    },
  },
  {
    name: 'LeaderTerms',
    covers: ['LeaderTerms'],
    async make() {
      const { log, terms } = loggedTerms();
      return {
        component: lifecycle(() => terms.started(), () => terms.shutdown(1000)),
        async work() {
          assert.deepEqual(log, ['start']);
          assert.notEqual(terms.current, undefined);
        },
        held: () => (terms.current !== undefined || log.filter((l) => l === 'start').length > log.filter((l) => l === 'stop').length ? ['a term that was not stopped'] : []),
      };
    },
    failingStart: { cannotFail: 'a term\'s start is its work\'s (the Router row); a failed one does not stop later terms' },
  },
  {
    name: 'AlwaysLeading',
    covers: ['AlwaysLeading'],
    async make() {
      const { log, terms } = loggedTerms();
      const leadership = new AlwaysLeading(() => terms.started());
      return {
        // As the App stops it: the term drains first, then the leadership shuts down.
        component: lifecycle(() => leadership.start(), async () => {
          await terms.shutdown(1000);
          await leadership.shutdown();
        }),
        async work() {
          assert.deepEqual(log, ['start'], 'its start began the one term');
          assert.equal(leadership.isLeader, true);
        },
        held: () => (log.filter((l) => l === 'start').length > log.filter((l) => l === 'stop').length ? ['a term that was not stopped'] : []),
      };
    },
    failingStart: {
      how: 'the term\'s work cannot start',
      rejects: /the term's sinks cannot start/,
      async make() {
        const terms = new LeaderTerms({
          begin: () => ({
            start: async () => {
              throw new Error('the term\'s sinks cannot start');
            },
            stop: async () => ({ drained: true }),
          }),
          onLeading: () => undefined,
        });
        const leadership = new AlwaysLeading(() => terms.started());
        return { component: leadership, work: async () => undefined };
      },
    },
  },
  {
    name: 'LocalOtlpReceivers',
    covers: ['LocalOtlpReceivers'],
    async make() {
      const port = await freePort();
      const receivers = new LocalOtlpReceivers();
      const sinks = testConfig({ sinks: [{ name: 'loki', type: 'otlp', endpoint: `http://127.0.0.1:${port}` }] }).sinks ?? [];
      return {
        component: lifecycle(() => receivers.start(sinks), () => receivers.stop()),
        async work() {
          assert.equal(await post(`http://127.0.0.1:${port}/v1/logs`), 200);
          assert.equal(receivers.receivers[0]?.requests, 1);
        },
      };
    },
    failingStart: { cannotFail: 'a port something already listens on is left to it (a real local Collector), by design' },
  },
  {
    name: 'FakeApiServer',
    covers: ['FakeApiServer'],
    async make() {
      const api = new FakeApiServer();
      api.create(EVENTS, podEvent());
      return {
        component: lifecycle(() => api.start(), () => api.stop()),
        async work() {
          const list = await get(`${api.url}${EVENTS}`);
          assert.equal(list.status, 200);
          assert.equal((JSON.parse(list.body) as { items: unknown[] }).items.length, 1);
        },
      };
    },
    failingStart: {
      how: 'its port is taken',
      rejects: /EADDRINUSE/,
      async make(peers) {
        const taken = await peers.takenPort();
        const api = new FakeApiServer();
        return { component: lifecycle(() => api.start(taken), () => api.stop()), work: async () => undefined };
      },
    },
  },
  {
    name: 'ClusterSimulator',
    covers: ['ClusterSimulator'],
    async make(peers) {
      const api = await peers.api();
      const simulator = new ClusterSimulator(api, { seed: 1 });
      return {
        component: lifecycle(() => simulator.start(10), () => simulator.stop()),
        async work() {
          const before = api.count(EVENTS);
          await waitFor(() => api.count(EVENTS) > before, 'another simulated event', STEP_MS);
        },
      };
    },
    failingStart: { cannotFail: 'it writes to an in-process API server' },
  },
];

function electorAgainst(url: string, onStartedLeading: () => void): LeaseElector {
  return new LeaseElector({
    client: KubeClient.fromServer(url),
    namespace: 'ns',
    name: 'lease',
    identity: 'me',
    leaseDurationMs: 1500,
    renewDeadlineMs: 1000,
    retryPeriodMs: 50,
    logger: silentLogger(),
    onStartedLeading,
    onStoppedLeading: () => undefined,
  });
}

function appAgainst(url: string, overrides: Record<string, unknown> = {}): App {
  return new App({
    config: testConfig(overrides),
    client: KubeClient.fromServer(url),
    logger: silentLogger(),
    checkpointStore: new NoCheckpointStore(),
    env: { POD_NAME: 'me', POD_NAMESPACE: 'ns' },
    stdout: new PassThrough(),
  });
}

function routerAgainst(url: string, sinks: TrackedSink[]): Router {
  const config = testConfig();
  const client = KubeClient.fromServer(url);
  const metrics = new Metrics();
  const logger = silentLogger();
  return new Router({
    config,
    sources: watchSources({ client, settings: config.source, metrics, logger }),
    client,
    sinks: sinks.map((sink) => ({ sink })),
    checkpointStore: new NoCheckpointStore(),
    metrics,
    logger,
  });
}

function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** `promise`, or a failure naming `what` after {@link STEP_MS}. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${STEP_MS} ms`)), STEP_MS)));
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** The resources keeping the event loop alive, by type (sockets, servers, ref'd timers). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Resources there are more of now than in `before`. */
function extra(before: Map<string, number>): string[] {
  return [...resources()].filter(([type, n]) => n > (before.get(type) ?? 0)).map(([type, n]) => `${n - (before.get(type) ?? 0)} ${type}`);
}

/**
 * Waits (bounded) until the process holds no more than it did `before` the row, and `held`
 * reports nothing: a closed socket or server leaves the list a moment after its close.
 */
async function expectReleased(before: Map<string, number>, made: Made | undefined, what: string): Promise<void> {
  const left = () => [...extra(before), ...(made?.held?.() ?? [])];
  await waitFor(() => left().length === 0, what, STEP_MS).catch(() => assert.fail(`${what}: still held: ${left().join(', ')}`));
}

/** Runs `body` with fresh peers; the peers are stopped even when it fails, then nothing may be left. */
async function withPeers(body: (peers: Peers) => Promise<Made | undefined>, what: string): Promise<void> {
  const before = resources();
  const peers = new Peers();
  let made: Made | undefined;
  try {
    made = await body(peers);
  } finally {
    await peers.teardown();
  }
  await expectReleased(before, made, what);
}

for (const row of ROWS) {
  describe(`lifecycle of ${row.name}`, () => {
    it('starts, works, shuts down and holds nothing after', async () => {
      await withPeers(async (peers) => {
        const made = await row.make(peers);
        const ready = resources();
        await within(made.component.start(), 'start');
        await within(made.work(), 'work');
        await within(made.component.shutdown(), 'shutdown');
        // Released while the peers still run (their stop would close a connection it left open):
        // its sockets, servers and timers, and what it held of its dependencies (a watch, the
        // lease, a sink). A pooled connection to the fake API server closes on the server's
        // keep-alive timeout.
        await expectReleased(ready, made, `${row.name} after shutdown, its peers still running`);
        return made;
      }, `${row.name} after shutdown`);
    });

    it('shuts down twice: the second is a no-op that resolves', async () => {
      await withPeers(async (peers) => {
        const made = await row.make(peers);
        await within(made.component.start(), 'start');
        await within(made.component.shutdown(), 'the first shutdown');
        await within(made.component.shutdown(), 'the second shutdown');
        return made;
      }, `${row.name} after two shutdowns`);
    });

    it('shuts down before start: resolves and leaves nothing behind', async () => {
      await withPeers(async (peers) => {
        const made = await row.make(peers);
        await within(made.component.shutdown(), 'shutdown before start');
        return made;
      }, `${row.name} shut down before start`);
    });

    const failing = row.failingStart;
    // A row whose start cannot fail says why in the table (`cannotFail`), and has no test here.
    for (const failure of 'cannotFail' in failing ? [] : Array.isArray(failing) ? failing : [failing]) {
      if (failure.rejects !== undefined) {
        const rejects = failure.rejects;
        it(`rejects a start when ${failure.how}, and releases what it had started`, async () => {
          await withPeers(async (peers) => {
            const made = await failure.make(peers);
            const ready = resources();
            await within(assert.rejects(made.component.start(), rejects), 'the failing start');
            // No shutdown yet: a caller (startAll) shuts down only what started.
            await expectReleased(ready, made, `${row.name} after its start failed, without a shutdown`);
            await within(made.component.shutdown(), 'a shutdown after the failed start');
            return made;
          }, `${row.name} after its start failed`);
        });
      } else {
        it(`starts its loop when ${failure.how}, and its shutdown ends the retries`, async () => {
          await withPeers(async (peers) => {
            const made = await failure.make(peers);
            await within(made.component.start(), 'start');
            await waitFor(() => made.failed?.() ?? true, 'the loop to fail once', STEP_MS);
            await within(made.component.shutdown(), 'shutdown');
            return made;
          }, `${row.name} after its failing loop was shut down`);
        });
      }
    }
  });
}

/** The classes declared in `file`, with what they implement or extend and the lifecycle methods they declare. */
function classesIn(text: string): Array<{ name: string; heritage: string; methods: string[] }> {
  const classes: Array<{ name: string; heritage: string; methods: string[] }> = [];
  let current: { name: string; heritage: string; methods: string[] } | undefined;
  for (const line of text.split('\n')) {
    const declared = /^(?:export )?(?:abstract )?class (\w+)([^{]*)\{/.exec(line);
    if (declared) {
      current = { name: declared[1] as string, heritage: declared[2] as string, methods: [] };
      classes.push(current);
      continue;
    }
    if (line === '}') current = undefined;
    const method = /^ {2}(?:async )?(start|shutdown|stop)\(/.exec(line);
    if (current && method) current.methods.push(method[1] as string);
  }
  return classes;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Classes with a lifecycle that are parts of another row's component, not components of their own. */
const NOT_A_ROW: Record<string, string> = {
  LoopComponent: 'the abstract base of EventSource, DumpSource and LeaseElector (their rows), tested in component.test.ts',
  Watchdog: "one watch stream's timer, made and stopped by EventSource (its row)",
  HttpTransport: "the OTLP/HTTP sink's transport, shut down by OtlpSink's shutdown (its rows)",
};

describe('the lifecycle table', () => {
  it('has a row for every class in src/ that implements Component or has a start/shutdown/stop lifecycle', () => {
    const src = new URL('../../src/', import.meta.url).pathname;
    const lifecycleClasses: string[] = [];
    for (const file of sourceFiles(src)) {
      for (const c of classesIn(readFileSync(file, 'utf8'))) {
        // Component, or an interface that extends it (Sink, Source, Enricher), or the loop base class.
        const isComponent = /\b(?:implements|extends)\b.*\b(?:Component|Sink|Source|Enricher|LoopComponent)\b/.test(c.heritage);
        if (isComponent || c.methods.length > 0) lifecycleClasses.push(`${c.name} (${relative(src, file)})`);
      }
    }
    const covered = new Set([...ROWS.flatMap((row) => row.covers), ...Object.keys(NOT_A_ROW)]);
    const missing = lifecycleClasses.filter((c) => !covered.has(c.split(' ')[0] as string));
    assert.deepEqual(missing, [], 'add a row to ROWS (test/component/lifecycle.test.ts) for each of these');
    // And no row names a class that is gone.
    const names = new Set(lifecycleClasses.map((c) => c.split(' ')[0]));
    assert.deepEqual([...covered].filter((name) => !names.has(name)), []);
  });
});
