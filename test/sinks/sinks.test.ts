import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import type { App } from '../../src/app/app.ts';
import { createSink, createSinks } from '../../src/sinks/sink-factory.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { ConfigError } from '../../src/config-kit/config-error.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { makePki } from '../support/certs.ts';
import { fixtureEvents } from '../support/fixtures.ts';
import { podEvent, settled, startApp, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { OtlpReceiver, waitFor, type ReceivedLog } from '../support/otlp-receiver.ts';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { otlpSink } from '../support/sinks.ts';

const EVENTS = '/api/v1/events';
const TEST_SCOPE = { name: 'eventrouter', version: 'test' };
const dir = mkdtempSync(join(tmpdir(), 'eventrouter-sinks-'));

function record(raw: Record<string, unknown>) {
  return mapEvent(normalizeEvent(raw), 'ADDED', { observedAtMillis: 0 });
}

describe('sinks and routing', () => {
  let api: FakeApiServer;
  let app: App | undefined;
  const receivers: OtlpReceiver[] = [];
  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
    await api?.stop();
    for (const r of receivers.splice(0)) await r.stop();
  });

  async function receiver(tls?: Parameters<OtlpReceiver['start']>[1]): Promise<OtlpReceiver> {
    const r = new OtlpReceiver();
    await r.start(0, tls);
    receivers.push(r);
    return r;
  }

  it('gives each of several OTLP sinks exactly the events its routes select, and applies the global drop', async () => {
    api = new FakeApiServer();
    await api.start();
    const everything = await receiver();
    const warnings = await receiver();
    const config = testConfig({
      drop: [{ reason: 'Pulling' }],
      sinks: [
        { name: 'loki', type: 'otlp', endpoint: everything.url, batchTimeout: '20ms' },
        { name: 'elastic', type: 'otlp', endpoint: warnings.url, batchTimeout: '20ms', match: [{ type: 'Warning' }], drop: [{ namespace: 'kube-*' }] },
      ],
    });
    app = await startApp({ apiUrl: api.url, config });
    const produced = [
      podEvent({ type: 'Normal', reason: 'Pulled' }),
      podEvent({ type: 'Warning', reason: 'BackOff' }),
      podEvent({ type: 'Warning', reason: 'BackOff' }, 'kube-system'),
      podEvent({ type: 'Normal', reason: 'Pulling' }),
      podEvent({ type: 'Warning', reason: 'FailedMount' }, 'payments'),
    ];
    for (const event of produced) api.create(EVENTS, event);
    await settled(app!, api, 'both sinks');
    const reasons = (logs: ReceivedLog[]) => logs.map((l) => `${l.resource['k8s.namespace.name']}/${l.attributes['k8s.event.reason']}`).sort();
    assert.deepEqual(reasons(everything.logs), ['default/BackOff', 'default/Pulled', 'kube-system/BackOff', 'payments/FailedMount']);
    assert.deepEqual(reasons(warnings.logs), ['default/BackOff', 'payments/FailedMount']);
    assert.equal(await metricSum(app.metrics, 'eventrouter_records_total', { sink: 'elastic', outcome: 'filtered' }), 2);
  });

  it('throttles per (object, reason) and marks the next record with the suppressed count', async () => {
    api = new FakeApiServer();
    await api.start();
    const out = await receiver();
    // A window long enough that the burst below falls into one even on a loaded machine.
    const config = testConfig({ sinks: [{ name: 'loki', type: 'otlp', endpoint: out.url, batchTimeout: '20ms', throttle: { limit: 2, interval: '2s' } }] });
    app = await startApp({ apiUrl: api.url, config });
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    const same = { involvedObject: { kind: 'Pod', name: 'noisy', namespace: 'default', uid: 'noisy-uid' }, reason: 'BackOff', type: 'Warning' };
    for (let i = 0; i < 6; i++) api.create(EVENTS, podEvent(same));
    api.create(EVENTS, podEvent({ ...same, reason: 'Unhealthy' }));
    await settled(app!, api, 'the first window');
    assert.equal(out.logs.length, 3);
    // The window began before the burst was acknowledged: 2 s after that, it is over.
    const acknowledged = Date.now();
    await waitFor(() => Date.now() > acknowledged + 2000, 'the end of the throttle window');
    api.create(EVENTS, podEvent(same));
    await waitFor(() => out.logs.length >= 4, 'the next window');
    const backoffs = out.logs.filter((l) => l.attributes['k8s.event.reason'] === 'BackOff');
    assert.equal(backoffs.length, 3);
    assert.equal(backoffs[2]!.attributes['eventrouter.throttle.suppressed'], 4);
    assert.equal(out.logs.filter((l) => l.attributes['k8s.event.reason'] === 'Unhealthy').length, 1);
  });

  it('exports over gRPC to an OTLP gRPC receiver', async () => {
    const server = await grpcReceiver();
    const { received } = server;
    try {
      const sink = otlpSink({ name: 'grpc', protocol: 'grpc', endpoint: server.url });
      await sink.start();
      const events = fixtureEvents('troubleshoot-supportbundle-default-eventlist.json').map(record);
      const outcome = await sink.export(events);
      assert.deepEqual(outcome, { ok: true });
      assert.equal(received.length, events.length);
      assert.deepEqual(received.map((l) => l.attributes['k8s.event.uid']).sort(), events.map((e) => e.attributes['k8s.event.uid']).sort());
      assert.equal(received[0]!.scope.name, 'eventrouter');
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });

  it('speaks mTLS with certificates made at test time, and fails without the client certificate', async () => {
    const pki = makePki();
    const secure = await receiver({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true });
    const events = fixtureEvents('k9s-gke-event-pulled.json').map(record);
    const config = parseConfig({ sinks: [{ name: 'mtls', type: 'otlp', endpoint: secure.url, timeout: '30s', tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } }] }, {});
    const sink = createSink(config.sinks![0]!, { scope: TEST_SCOPE, env: {} });
    await sink.start();
    assert.deepEqual(await sink.export(events), { ok: true });
    assert.equal(secure.logs.length, 1);
    assert.deepEqual(secure.clientCertificates, ['eventrouter-client']);
    const noClientCert = otlpSink({ name: 'no-cert', endpoint: secure.url, timeout: '1s', tls: { caFile: pki.caFile } });
    await noClientCert.start();
    const refused = await noClientCert.export(events);
    assert.equal(refused.ok, false);
    const untrusted = otlpSink({ name: 'untrusted', endpoint: secure.url, timeout: '1s' });
    await untrusted.start();
    assert.equal((await untrusted.export(events)).ok, false, 'an unknown CA is refused');
  });

  it('sends headers whose values come from the environment and from files', async () => {
    const out = await receiver();
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'file-secret\n');
    const env = { LOKI_TENANT: 'team-a' };
    const config = parseConfig({ sinks: [{ name: 'loki', type: 'otlp', endpoint: out.url, headers: { 'X-Scope-OrgID': { env: 'LOKI_TENANT' }, Authorization: { file: tokenFile }, 'X-Static': 'v' } }] }, env);
    const sink = createSink(config.sinks![0]!, { scope: TEST_SCOPE, env });
    await sink.start();
    assert.deepEqual(await sink.export(fixtureEvents('k9s-gke-event-pulled.json').map(record)), { ok: true });
    const headers = out.requests[0]!.headers;
    assert.equal(headers['x-scope-orgid'], 'team-a');
    assert.equal(headers['authorization'], 'file-secret');
    assert.equal(headers['x-static'], 'v');
    assert.throws(
      () => parseConfig({ sinks: [{ name: 'loki', type: 'otlp', headers: { A: { env: 'MISSING_VAR' }, B: { file: join(dir, 'nope') } } }] }, {}),
      (error: unknown) => error instanceof ConfigError && /sinks\[0\]\.headers\.A\.env/.test(error.message) && /sinks\[0\]\.headers\.B\.file/.test(error.message),
    );
  });

  it('applies the OTEL_EXPORTER_OTLP_* variables to the first OTLP sink only', async () => {
    const first = await receiver();
    const second = await receiver();
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=first-sink-secret' };
    const config = parseConfig({ sinks: [{ name: 'a', type: 'otlp', endpoint: first.url }, { name: 'b', type: 'otlp', endpoint: second.url }] }, env);
    const [a, b] = createSinks(config.sinks!, { scope: TEST_SCOPE, env });
    await a!.start();
    await b!.start();
    const events = fixtureEvents('k9s-gke-event-pulled.json').map(record);
    await a!.export(events);
    await b!.export(events);
    assert.equal(first.requests[0]!.headers['authorization'], 'first-sink-secret');
    assert.equal(second.requests[0]!.headers['authorization'], undefined);
    await a!.shutdown();
    await b!.shutdown();
  });

  describe('stdout formats (golden files)', () => {
    const golden = (name: string) => new URL(`../golden/${name}`, import.meta.url);
    const fixture = 'troubleshoot-supportbundle-default-eventlist.json';
    let lines: Record<string, string[]>;

    before(async () => {
      lines = {};
      for (const format of ['json', 'classic'] as const) {
        const stream = new PassThrough();
        let text = '';
        stream.on('data', (d) => (text += d));
        const objects = fixtureEvents(fixture);
        const recs = objects.map((raw) => ({ ...record(raw), raw }));
        const config = parseConfig({ sinks: [{ name: 'out', type: 'stdout', format }] }, {});
        const sink = createSink(config.sinks![0]!, { scope: TEST_SCOPE, env: {}, stdout: stream });
        await sink.export(recs);
        lines[format] = text.trim().split('\n');
      }
    });
    after(() => undefined);

    for (const format of ['json', 'classic'] as const) {
      it(`writes the ${format} format exactly as the golden file`, () => {
        const path = golden(`stdout-${format}.ndjson`);
        if (process.env['UPDATE_GOLDEN']) writeFileSync(path, `${lines[format]!.join('\n')}\n`);
        const expected = readFileSync(path, 'utf8').trim().split('\n');
        assert.deepEqual(lines[format], expected);
      });
    }

    it('classic lines are the original eventrouter shape', () => {
      for (const line of lines['classic']!) {
        const parsed = JSON.parse(line);
        assert.deepEqual(Object.keys(parsed), ['verb', 'event']);
        assert.equal(parsed.verb, 'ADDED');
        assert.equal(parsed.event.kind, 'Event');
      }
    });
  });

  it('classic UPDATED lines carry the previous version of the event as old_event', async () => {
    api = new FakeApiServer();
    await api.start();
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += d));
    const config = testConfig({ sinks: [{ name: 'classic', type: 'stdout', format: 'classic', batchTimeout: '20ms' }] });
    const { App } = await import('../../src/app/app.ts');
    const { KubeClient } = await import('../../src/kube/kube-client.ts');
    const { silentLogger } = await import('../../src/telemetry/logger.ts');
    app = new App({ config, client: KubeClient.fromServer(api.url), logger: silentLogger(), stdout: stream, env: {} });
    await app.start();
    await waitFor(() => app!.router.synced && api.watcherCount > 0, 'a watch');
    const created = api.create(EVENTS, podEvent({ count: 1 }));
    api.update(EVENTS, 'default', String(created.metadata['name']), (e) => {
      e['count'] = 2;
      e['lastTimestamp'] = '2024-01-01T00:09:00Z';
    });
    await waitFor(() => text.trim().split('\n').length >= 2, 'two lines');
    const [added, updated] = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(added.verb, 'ADDED');
    assert.equal(updated.verb, 'UPDATED');
    assert.equal(updated.event.count, 2);
    assert.equal(updated.old_event.count, 1);
  });
});
