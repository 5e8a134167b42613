/**
 * Side by side on the same real API server and the same created events: eventrouter and the
 * Collector's own `k8s_events` receiver (a second Collector, test/e2e/k8sevents/, built by
 * test/e2e/k8sevents/build.sh; it exports over OTLP/HTTP to the e2e Collector, whose file
 * holds both outputs). The raw outputs go to $EVENTROUTER_E2E_STATE/e2e/comparison.json;
 * test/e2e/k8sevents/generate-comparison.ts renders docs/comparison-k8s-events.md from it
 * (this test does so itself when EVENTROUTER_E2E_WRITE_DOC=1).
 *
 * Events: `backfill` (created before both start), `fresh` (fixture events re-stamped to now,
 * created while both run), `old` (fixture events with their original 2019-2022 timestamps,
 * created while both run), then one recurrence (count 1 → 2) and one label-only update.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureEvents } from '../support/fixtures.ts';
import { renderComparison, type ComparisonData } from './k8sevents/generate-comparison.ts';
import {
  type OtelRecord,
  type RouterProcess,
  createNamespace,
  creatableCoreEvent,
  e2eEnv,
  execText,
  kubeOk,
  microTime,
  postCoreEvent,
  readOtlpFile,
  REPO,
  routerConfig,
  runId,
  scratchDir,
  sleep,
  startRouter,
  waitFor,
} from './support.ts';

const BUILD = join(REPO, 'test/e2e/k8sevents/build.sh');

/** A fixture event re-stamped to `now` (every timestamp it has), so that k8s_events does not drop it as old. */
function restamped(fixture: Record<string, unknown>, now: Date): Record<string, unknown> {
  const e = structuredClone(fixture) as Record<string, any>;
  const second = now.toISOString().replace(/\.\d+Z$/, 'Z');
  if (e['firstTimestamp']) e['firstTimestamp'] = second;
  if (e['lastTimestamp']) e['lastTimestamp'] = second;
  if (e['eventTime']) e['eventTime'] = microTime(now.toISOString());
  if (e['series']?.lastObservedTime) e['series'] = { ...e['series'], lastObservedTime: microTime(now.toISOString()) };
  return e;
}

describe('side by side with the Collector k8s_events receiver', () => {
  const ns = runId('e2e-cmp');
  const dir = scratchDir('comparison');
  const clusterName = `${ns}-er`;
  let receiverBin = '';
  let receiver: ChildProcess | undefined;
  let receiverLog = '';
  let router: RouterProcess | undefined;
  const sets: Record<string, string[]> = { backfill: [], fresh: [], old: [], recurrence: [], labelOnly: [] };

  before(async () => {
    const env = e2eEnv();
    // Builds once (~5 min cold), then answers at once with the binary's path.
    receiverBin = (await execText(BUILD, [], 900_000)).trim().split('\n').pop()!;
    assert.ok(existsSync(receiverBin), receiverBin);
    await createNamespace(ns);
    writeFileSync(
      join(dir, 'k8sevents-collector.yaml'),
      [
        'receivers:',
        '  k8s_events:',
        '    auth_type: kubeConfig',
        `    namespaces: [${ns}]`,
        'exporters:',
        '  otlphttp:',
        `    endpoint: ${env.EVENTROUTER_E2E_OTLP_HTTP}`,
        '    compression: none',
        'service:',
        '  telemetry:',
        '    metrics: {level: none}',
        '  pipelines:',
        '    logs: {receivers: [k8s_events], exporters: [otlphttp]}',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    receiver?.kill('SIGKILL');
    await router?.stop('SIGKILL');
  });

  it('runs both on the same events and records where they agree and differ', async () => {
    const env = e2eEnv();
    let i = 0;
    const create = async (set: string, fixture: Record<string, unknown>) => {
      const o = await postCoreEvent(creatableCoreEvent(fixture, ns, `${ns}.${set}.${++i}`));
      sets[set]!.push(o.metadata.uid);
      return o;
    };
    const kspan = fixtureEvents('kspan-events-extracted.yaml');
    const troubleshoot = fixtureEvents('troubleshoot-supportbundle-default-eventlist.json');
    const sbctl = fixtureEvents('sbctl-kurl-velero-eventlist.json');
    // Namespaced events only (events about Nodes cannot live in this namespace).
    const newStyle = sbctl.filter((e: any) => e.eventTime && e.involvedObject?.namespace).slice(0, 3);
    const warnings = sbctl.filter((e: any) => e.type === 'Warning' && e.involvedObject?.namespace).slice(0, 3);

    for (const e of troubleshoot) await create('backfill', restamped(e, new Date()));
    await sleep(1100); // k8s_events keeps events stamped at or after its own start (second precision)

    receiver = spawn(receiverBin, [`--config=${join(dir, 'k8sevents-collector.yaml')}`], {
      env: { PATH: process.env['PATH'], HOME: dir, KUBECONFIG: env.KUBECONFIG },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stderr?.on('data', (d) => (receiverLog += d));
    receiver.stdout?.on('data', (d) => (receiverLog += d));
    router = startRouter(dir, 'eventrouter', routerConfig({ clusterName, namespaces: [ns] }));
    await waitFor(() => /Everything is ready/.test(receiverLog), 'the k8s_events Collector to start', 60_000, () => receiverLog.slice(-1500));
    await waitFor(() => /list complete|starting without/.test(router!.stderr), 'eventrouter to start', 30_000, () => router!.stderr.slice(-1500));
    await sleep(1500);

    for (const e of [...kspan, ...newStyle, ...warnings]) await create('fresh', restamped(e, new Date()));
    for (const e of troubleshoot) await create('old', e);
    await sleep(1000);
    const [rec, label] = sets['fresh']!.slice(0, 2);
    const byUid = new Map<string, any>();
    for (const o of (await kubeOk('GET', `/api/v1/namespaces/${ns}/events?limit=1000`)).items) byUid.set(o.metadata.uid, o);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeOk('PATCH', `/api/v1/namespaces/${ns}/events/${byUid.get(rec!).metadata.name}`, { count: 2, lastTimestamp: now }, {}, 'application/merge-patch+json');
    await kubeOk('PATCH', `/api/v1/namespaces/${ns}/events/${byUid.get(label!).metadata.name}`, { metadata: { labels: { touched: 'yes' } } }, {}, 'application/merge-patch+json');
    sets['recurrence'] = [rec!];
    sets['labelOnly'] = [label!];

    const all = new Set(Object.values(sets).flat());
    const records = () => readOtlpFile(env.EVENTROUTER_E2E_OTEL_OUT).filter((r) => all.has(String(r.attributes['k8s.event.uid'])));
    const er = () => records().filter((r) => r.resource['k8s.cluster.name'] === clusterName);
    const k8s = () => records().filter((r) => r.scope.name !== 'eventrouter');
    const expectedEr = sets['backfill']!.length + sets['fresh']!.length + sets['old']!.length + 1;
    await waitFor(() => er().length >= expectedEr, `eventrouter's ${expectedEr} records`, 60_000, () => `${er().length}`);
    await waitFor(() => k8s().filter((r) => r.attributes['k8s.event.uid'] === rec && Number(r.attributes['k8s.event.count']) === 2).length > 0, 'k8s_events to send the recurrence', 60_000, () => `${k8s().length} k8s_events records; ${receiverLog.slice(-1500)}`);
    await sleep(3000); // the receiver's exporter batches; let stragglers arrive

    const erRecords = er();
    const k8sRecords = k8s();
    const data: ComparisonData = {
      generatedAt: new Date().toISOString(),
      versions: {
        eventrouter: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version,
        k8seventsreceiver: 'v0.111.0 (otelcol-k8sevents, test/e2e/k8sevents/builder-manifest.yaml)',
        collector: (await execText(env.EVENTROUTER_E2E_OTELCOL, ['--version'])).trim(),
        // Built from source without version ldflags, so /version says v0.0.0-master: take the pin.
        kubeApiserver: `${/E2E_KUBERNETES_VERSION=(\S+)/.exec(readFileSync(join(REPO, 'scripts/e2e-versions.sh'), 'utf8'))?.[1]} (scripts/e2e-versions.sh; /version: ${(await kubeOk('GET', '/version')).gitVersion})`,
        etcd: /E2E_ETCD_VERSION=(\S+)/.exec(readFileSync(join(REPO, 'scripts/e2e-versions.sh'), 'utf8'))?.[1] ?? '',
        node: process.version,
      },
      sets,
      objects: Object.fromEntries([...(await kubeOk('GET', `/api/v1/namespaces/${ns}/events?limit=1000`)).items].map((o: any) => [o.metadata.uid, o])),
      eventrouter: erRecords,
      k8sEvents: k8sRecords,
    };
    writeFileSync(join(env.EVENTROUTER_E2E_STATE, 'e2e', 'comparison.json'), JSON.stringify(data, null, 1));
    const markdown = renderComparison(data);
    if (process.env['EVENTROUTER_E2E_WRITE_DOC'] === '1') writeFileSync(join(REPO, 'docs/comparison-k8s-events.md'), markdown);

    const count = (recs: OtelRecord[], set: string) => recs.filter((r) => sets[set]!.includes(String(r.attributes['k8s.event.uid']))).length;
    const summary = Object.fromEntries(Object.keys(sets).map((s) => [s, { eventrouter: count(erRecords, s), k8s_events: count(k8sRecords, s) }]));
    console.log(`# records per set: ${JSON.stringify(summary)}`);
    // What the comparison documents, asserted so that a change in either side is noticed.
    assert.equal(count(erRecords, 'backfill'), sets['backfill']!.length, 'eventrouter back-fills what was there before it started');
    assert.equal(count(k8sRecords, 'backfill'), 0, 'k8s_events drops events stamped before its start');
    assert.equal(count(erRecords, 'old'), sets['old']!.length, 'eventrouter exports events whatever their timestamps');
    assert.equal(count(k8sRecords, 'old'), 0, 'k8s_events drops events whose lastTimestamp is before its start');
    assert.equal(count(k8sRecords, 'fresh') >= sets['fresh']!.length, true, 'k8s_events sends every fresh event');
    assert.equal(count(erRecords, 'recurrence'), 2, 'eventrouter: one record per occurrence');
    assert.equal(count(erRecords, 'labelOnly'), 1, 'eventrouter: a label change is no occurrence');
    assert.ok(count(k8sRecords, 'labelOnly') >= 2, 'k8s_events: a record per update, label-only included');
    assert.match(markdown, /\| `k8s.event.reason` \|/);
    receiver.kill('SIGTERM');
    assert.equal((await router.stop('SIGTERM')).code, 0);
  });
});
