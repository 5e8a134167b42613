import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { App } from '../../src/app/app.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { testConfig, podEvent } from '../support/harness.ts';
import type { Sample } from '../support/metric-samples.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { alerts, RULES_PATH, ruleMetricNames, rulesUnderTest } from './alert-rules.ts';
import { findPromtool, promtoolSkip, runPromtool } from './promtool.ts';
import { ScrapeRecorder, stepCount, toInputSeries } from './scrape-recorder.ts';

/**
 * Every shipped alert (deploy/helm/eventrouter/files/eventrouter-rules.yaml) against the real
 * router: each test provokes the alert's condition for real (a real OTLP receiver that refuses,
 * a checkpoint directory that is gone, a Lease the API server forbids, ...), scrapes /metrics
 * over HTTP as Prometheus would, and has Prometheus' own `promtool test rules` evaluate the
 * shipped rules over those scrapes. One scrape period is one promtool step of a minute (see
 * toInputSeries): `for: 5m` means five scrapes of the condition.
 */

const EVENTS = '/api/v1/events';
const PERIOD_MS = 500;
const STEP_SECONDS = 60;
const TARGET = { job: 'eventrouter', instance: 'router-0' };
const SINK = 'collector';
/** Virtual seconds per real second (see toInputSeries). */
const DILATION = (STEP_SECONDS * 1000) / PERIOD_MS;

/** Leader election (which needs the shared ConfigMap checkpoint) with the default timings: a loaded machine does not lose the Lease. */
const LEADER_ELECTION = {
  leaderElection: { enabled: true, leaseNamespace: 'default', identity: 'router-0' },
  checkpoint: { store: 'configmap', namespace: 'default', interval: '50ms' },
};

const promtool = findPromtool();
const skip = promtoolSkip(promtool);
const ALERTS = alerts();

interface Running {
  api: FakeApiServer;
  receiver: OtlpReceiver;
  app: App;
  recorder: ScrapeRecorder;
  dir: string;
  /** Creates an event every 100 ms while on. */
  traffic: (on: boolean) => void;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A router with an OTLP sink to a real receiver, /metrics on loopback, scraped from the start, and events flowing. */
type Overrides = Record<string, unknown> | ((receiverUrl: string) => Record<string, unknown>);

async function startRouter(overrides: Overrides = {}, prepare: (api: FakeApiServer) => void = () => undefined, checkpoint: Record<string, unknown> = {}): Promise<Running> {
  // Fail at once where promtool is required (CI) but missing, not after a scenario's run.
  if (promtool === undefined) runPromtool(promtool, ['--version']);
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-alerts-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const api = new FakeApiServer();
  await api.start();
  cleanups.push(() => api.stop());
  prepare(api);
  const receiver = new OtlpReceiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const config = testConfig({
    server: { listen: '127.0.0.1:0' },
    checkpoint: { store: 'file', path: join(dir, 'state', 'checkpoint.json'), interval: '50ms', ...checkpoint },
    sinks: [{ name: SINK, type: 'otlp', endpoint: receiver.url, batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '100ms' }],
    ...(typeof overrides === 'function' ? overrides(receiver.url) : overrides),
  });
  const app = new App({ config, client: KubeClient.fromServer(api.url), logger: silentLogger(), env: {} });
  await app.start();
  cleanups.push(() => app.stop(5_000));
  let timer: NodeJS.Timeout | undefined;
  const traffic = (on: boolean): void => {
    clearInterval(timer);
    timer = on ? setInterval(() => api.create(EVENTS, podEvent()), 100) : undefined;
  };
  cleanups.push(() => traffic(false));
  traffic(true);
  const recorder = new ScrapeRecorder(`http://${app.serverAddress}`, PERIOD_MS);
  recorder.start();
  cleanups.push(() => recorder.stop());
  return { api, receiver, app, recorder, dir, traffic };
}

/** The labels of a series of the scraped router: its own and the target's. */
function series(labels: Record<string, string> = {}): Record<string, string> {
  return { ...labels, ...TARGET };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

interface Expectation {
  alert: string;
  /** The alerts expected at the last scrape, by the labels of their series (the rule's labels are added); [] for none. */
  firing: Record<string, string>[];
}

interface AssertOptions {
  /** Evaluate at every step (the healthy baseline), not only at the last scrape. */
  everyStep?: boolean;
  /** Evaluate at this scrape of the first recorder instead of the last. */
  atScrape?: number;
  /** More routers scraped under the same job, each with its own target labels. */
  others?: Array<{ recorder: ScrapeRecorder; target: Record<string, string> }>;
}

/**
 * Evaluates the shipped rules over what `recorder` (and `others`) scraped with `promtool test
 * rules`: at the last scrape (or `atScrape`) for each expectation, or at every scrape when
 * `everyStep` (the healthy baseline). Fails with promtool's own report (expected and got) when an
 * alert is not as expected.
 */
async function assertAlerts(recorder: ScrapeRecorder, expectations: Expectation[], options: AssertOptions = {}): Promise<void> {
  const targets = [{ recorder, target: TARGET }, ...(options.others ?? [])];
  for (const t of targets) await t.recorder.stop();
  // One clock for every target: step 0 is the earliest scrape of any.
  const start = Math.min(...targets.map((t) => t.recorder.scrapes[0]?.at ?? Infinity));
  const steps = stepCount(recorder.scrapes, PERIOD_MS, start);
  const input = targets.flatMap((t) => toInputSeries(t.recorder.scrapes, PERIOD_MS, { names: ruleMetricNames(), targetLabels: t.target, stepSeconds: STEP_SECONDS, start }));
  const at = options.atScrape === undefined ? steps - 1 : stepCount(recorder.scrapes.slice(0, options.atScrape + 1), PERIOD_MS, start) - 1;
  const times = options.everyStep ? Array.from({ length: steps }, (_, i) => i) : [at];
  const alertRuleTest = expectations.flatMap(({ alert, firing }) => {
    const rule = ALERTS.get(alert);
    assert.ok(rule, `no alert ${alert} in the shipped rules`);
    return times.map((step) => ({
      eval_time: `${step * STEP_SECONDS}s`,
      alertname: alert,
      exp_alerts: firing.map((labels) => ({ exp_labels: { ...labels, ...rule.labels } })),
    }));
  });
  const test = {
    rule_files: ['rules.yaml'],
    evaluation_interval: `${STEP_SECONDS}s`,
    tests: [{ interval: `${STEP_SECONDS}s`, input_series: input, alert_rule_test: alertRuleTest }],
  };
  const result = runPromtool(promtool, ['test', 'rules', 'test.yaml'], { 'rules.yaml': rulesUnderTest(), 'test.yaml': stringify(test) });
  assert.equal(result.status, 0, `promtool test rules over ${recorder.scrapes.length} scrapes (${steps} steps):\n${result.output}`);
}

/** Scrapes enough for every window and `for` of the rules after a condition began: 15m windows, 5m `for`. */
const HOLD_STEPS = 17;

describe('shipped alerting rules, evaluated by promtool over the real router\'s /metrics', { skip }, () => {
  it('fire no alert while the router delivers, checkpoints and leads (healthy baseline)', async () => {
    const r = await startRouter(LEADER_ELECTION);
    await r.recorder.until((s) => value(s, 'eventrouter_leader') === 1 && (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'the router leading and exporting');
    await r.recorder.more(HOLD_STEPS + 3);
    assert.ok(r.receiver.logs.length > 0);
    await assertAlerts(r.recorder, [...ALERTS.keys()].map((alert) => ({ alert, firing: [] })), { everyStep: true });
  });

  it('EventrouterRecordsFailed fires while a receiver refuses records (HTTP 400)', async () => {
    const r = await startRouter();
    await r.recorder.more(2);
    r.receiver.always = { kind: 'status', status: 400 };
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'failed' }) ?? 0) > 0, 'failed records');
    await r.recorder.more(3);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterRecordsFailed', firing: [series({ sink: SINK, outcome: 'failed' })] }]);
  });

  it('EventrouterRecordsFailed fires on the first refused batch (the counter is at 0 before it)', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'the first events exported');
    r.traffic(false);
    await r.recorder.more(3);
    r.receiver.always = { kind: 'status', status: 400 };
    r.api.create(EVENTS, podEvent());
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'failed' }) ?? 0) > 0, 'the one failed record');
    await r.recorder.more(3);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterRecordsFailed', firing: [series({ sink: SINK, outcome: 'failed' })] }]);
  });

  it('EventrouterCheckpointFailing fires while the checkpoint cannot be written', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => value(s, 'eventrouter_checkpoint_healthy') === 1 && (value(s, 'eventrouter_checkpoint_writes_total', { outcome: 'ok' }) ?? 0) > 0, 'checkpoints written');
    // The checkpoint's directory becomes a file: every write fails (ENOTDIR), whatever the user (root included).
    rmSync(join(r.dir, 'state'), { recursive: true, force: true });
    writeFileSync(join(r.dir, 'state'), 'not a directory');
    await r.recorder.until((s) => value(s, 'eventrouter_checkpoint_healthy') === 0, 'the checkpoint reported unhealthy');
    await r.recorder.more(HOLD_STEPS - 10);
    await assertAlerts(r.recorder, [
      { alert: 'EventrouterCheckpointFailing', firing: [series()] },
      // A save that fails at once is no timeout.
      { alert: 'EventrouterCheckpointSaveTimedOut', firing: [] },
    ]);
  });

  it('EventrouterCheckpointFailing and EventrouterCheckpointSaveTimedOut fire while a checkpoint save hangs', async () => {
    // A save that has not returned after checkpoint.timeout counts as failed.
    const r = await startRouter({}, undefined, { timeout: '1s' });
    const path = join(r.dir, 'state', 'checkpoint.json');
    await r.recorder.until((s) => (value(s, 'eventrouter_checkpoint_writes_total', { outcome: 'ok' }) ?? 0) > 0, 'checkpoints written');
    // A FIFO where the save writes its temporary file: opening it for writing blocks until a
    // reader comes, as a write to a hung filesystem does.
    const fifo = `${path}.${process.pid}.tmp`;
    execFileSync('mkfifo', [fifo]);
    cleanups.push(() => {
      // Release the blocked save (a reader lets its open return), so the router can stop.
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      unlinkSync(fifo);
      setTimeout(() => closeSync(fd), 1000);
    });
    await r.recorder.until((s) => value(s, 'eventrouter_checkpoint_healthy') === 0, 'the hung save reported as failed');
    await r.recorder.more(HOLD_STEPS - 10);
    await assertAlerts(r.recorder, [
      { alert: 'EventrouterCheckpointFailing', firing: [series()] },
      { alert: 'EventrouterCheckpointSaveTimedOut', firing: [series({ outcome: 'timeout' })] },
    ]);
  });

  it('EventrouterCheckpointSaveTimedOut fires on a save that returned late, while EventrouterCheckpointFailing does not', async () => {
    const r = await startRouter({}, undefined, { timeout: '1s' });
    const path = join(r.dir, 'state', 'checkpoint.json');
    await r.recorder.until((s) => (value(s, 'eventrouter_checkpoint_writes_total', { outcome: 'ok' }) ?? 0) > 0, 'checkpoints written');
    // The save blocks on a FIFO (a hung filesystem, as above) past its deadline, then returns.
    const fifo = `${path}.${process.pid}.tmp`;
    execFileSync('mkfifo', [fifo]);
    let reader: number | undefined;
    cleanups.push(() => {
      if (reader !== undefined) closeSync(reader);
    });
    await r.recorder.until((s) => (value(s, 'eventrouter_checkpoint_writes_total', { outcome: 'timeout' }) ?? 0) > 0, 'the save past its deadline');
    // A reader lets the blocked open return, so the late save returns (its fsync of a FIFO may
    // fail: it is the hung save's outcome, not counted again); with the FIFO gone, the saves
    // after it write a regular file and succeed.
    reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    unlinkSync(fifo);
    const ok = value(r.recorder.last, 'eventrouter_checkpoint_writes_total', { outcome: 'ok' }) ?? 0;
    await r.recorder.until((s) => value(s, 'eventrouter_checkpoint_healthy') === 1 && (value(s, 'eventrouter_checkpoint_writes_total', { outcome: 'ok' }) ?? 0) > ok, 'checkpoints written again');
    await r.recorder.more(HOLD_STEPS - 10);
    await assertAlerts(r.recorder, [
      { alert: 'EventrouterCheckpointSaveTimedOut', firing: [series({ outcome: 'timeout' })] },
      { alert: 'EventrouterCheckpointFailing', firing: [] },
    ]);
  });

  it('EventrouterNoLeader fires while no replica can take the Lease (forbidden)', async () => {
    // As with a Role that does not grant the Lease: every request for it is forbidden from the start.
    const r = await startRouter(LEADER_ELECTION, (api) => api.failRequests((_m, path) => path.includes('/leases'), 403, 1_000_000));
    await r.recorder.until((s) => value(s, 'eventrouter_leader') === 0, 'the replica on standby');
    await r.recorder.more(3);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterNoLeader', firing: [{ job: TARGET.job }] }]);
  });

  it('EventrouterSeveralLeaders fires while two routers under one job each hold their own Lease', async () => {
    // Two releases whose leaseName differ, scraped under one job: each leads and routes every event.
    const election = (name: string): Record<string, unknown> => ({
      leaderElection: { enabled: true, leaseNamespace: 'default', leaseName: `lease-${name}`, identity: name },
      checkpoint: { store: 'configmap', namespace: 'default', configMapName: `checkpoint-${name}`, interval: '50ms' },
    });
    const r = await startRouter(election('router-0'));
    const other = new App({
      config: testConfig({
        server: { listen: '127.0.0.1:0' },
        sinks: [{ name: SINK, type: 'otlp', endpoint: r.receiver.url, batchTimeout: '20ms' }],
        ...election('router-1'),
      }),
      client: KubeClient.fromServer(r.api.url),
      logger: silentLogger(),
      env: {},
    });
    await other.start();
    cleanups.push(() => other.stop(5_000));
    const otherRecorder = new ScrapeRecorder(`http://${other.serverAddress}`, PERIOD_MS);
    otherRecorder.start();
    cleanups.push(() => otherRecorder.stop());
    await r.recorder.until((s) => value(s, 'eventrouter_leader') === 1, 'router-0 leading');
    await otherRecorder.until((s) => value(s, 'eventrouter_leader') === 1, 'router-1 leading');
    await r.recorder.more(4);
    await assertAlerts(
      r.recorder,
      [
        { alert: 'EventrouterSeveralLeaders', firing: [{ job: TARGET.job }] },
        { alert: 'EventrouterNoLeader', firing: [] },
      ],
      { others: [{ recorder: otherRecorder, target: { ...TARGET, instance: 'router-1' } }] },
    );
  });

  it('EventrouterWatchStalled fires while the API server holds the watch open and sends nothing', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    // A stuck API server: the open watch gets no event, no bookmark and no end at its
    // timeoutSeconds, and a request to reconnect would hang too.
    r.api.hangRequests((method, path) => method === 'GET' && path.startsWith(EVENTS));
    r.traffic(false);
    const activity = value(r.recorder.last, 'eventrouter_watch_last_activity_timestamp_seconds') ?? 0;
    await r.recorder.until((s) => value(s, 'eventrouter_watch_last_activity_timestamp_seconds') === activity, 'the last activity seen');
    // 600 s on the dilated clock is 10 scrape periods.
    await r.recorder.more(13);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterWatchStalled', firing: [series()] }]);
  });

  it('EventrouterWatchStalled stays silent in a quiet cluster whose API server ends each watch', async () => {
    // As a real kube-apiserver: no bookmarks for Events, each watch ended at its timeoutSeconds
    // (watchTimeout 1-2 s here: 120-240 s on the dilated clock, as 5-10 min is below 10 min).
    const r = await startRouter({ source: { minBackoff: '20ms', maxBackoff: '200ms', pageSize: 50, watchTimeout: '1s' } });
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.traffic(false);
    const closed = value(r.recorder.last, 'eventrouter_watch_restarts_total', { cause: 'closed' }) ?? 0;
    await r.recorder.until((s) => (value(s, 'eventrouter_watch_restarts_total', { cause: 'closed' }) ?? 0) >= closed + 3, 'three watches ended by the server');
    await r.recorder.more(HOLD_STEPS);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterWatchStalled', firing: [] }]);
  });

  it('EventrouterCheckpointLagHigh fires while the only sink is down and events keep coming', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.receiver.always = { kind: 'status', status: 503 };
    await r.recorder.until((s) => (value(s, 'eventrouter_export_retries_total', { sink: SINK }) ?? 0) > 0, 'export retries');
    // 300 s of lag on the dilated clock is 5 scrape periods.
    await r.recorder.until((s) => (value(s, 'eventrouter_checkpoint_lag_seconds') ?? 0) * DILATION > 300, 'a lag of 300 s (dilated)');
    await r.recorder.more(2);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterCheckpointLagHigh', firing: [series()] }]);
  });

  it('EventrouterCheckpointLagHigh fires in a quiet cluster while records wait for a down sink', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.receiver.always = { kind: 'status', status: 503 };
    await r.recorder.until((s) => (value(s, 'eventrouter_export_retries_total', { sink: SINK }) ?? 0) > 0, 'export retries');
    // Then nothing new: the records that wait grow older, and nothing else moves.
    r.traffic(false);
    await r.recorder.more(HOLD_STEPS - 5);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterCheckpointLagHigh', firing: [series()] }]);
  });

  it('EventrouterSinkStalled fires in a quiet cluster while records wait for a down sink', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.receiver.always = { kind: 'status', status: 503 };
    await r.recorder.until((s) => (value(s, 'eventrouter_export_retries_total', { sink: SINK }) ?? 0) > 0, 'export retries');
    // Then nothing new: only the age of what waits moves. 300 s on the dilated clock is 5 scrape periods.
    r.traffic(false);
    await r.recorder.until((s) => (value(s, 'eventrouter_sink_oldest_queued_age_seconds', { sink: SINK }) ?? 0) * DILATION > 300, 'a record waiting 300 s (dilated)');
    await r.recorder.more(2);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterSinkStalled', firing: [series({ sink: SINK })] }]);
  });

  it('EventrouterSinkStalled fires once the router judges the sink stalled (server.deliveryStallThreshold), before a record is 5 minutes old', async () => {
    // A threshold of 1 s real is 120 s on the dilated clock: the router's own judgement (the one
    // /readyz names) fires the alert, not only the 5-minute age.
    const r = await startRouter({ server: { listen: '127.0.0.1:0', deliveryStallThreshold: '1s' } });
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.receiver.always = { kind: 'status', status: 503 };
    await r.recorder.until((s) => value(s, 'eventrouter_sink_stalled', { sink: SINK }) === 1, 'the sink judged stalled');
    await r.recorder.stop();
    const at = r.recorder.scrapes.findIndex((s) => value(s.samples, 'eventrouter_sink_stalled', { sink: SINK }) === 1);
    const age = (value(r.recorder.scrapes[at]!.samples, 'eventrouter_sink_oldest_queued_age_seconds', { sink: SINK }) ?? 0) * DILATION;
    assert.ok(age < 300, `the oldest record waited ${age} s (dilated) when the sink was judged stalled: the 5-minute half alone would fire`);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterSinkStalled', firing: [series({ sink: SINK })] }], { atScrape: at });
  });

  it('EventrouterRecordsDropped fires while a best-effort sink drops what it cannot deliver', async () => {
    const archive = new OtlpReceiver();
    await archive.start();
    cleanups.push(() => archive.stop());
    archive.always = { kind: 'status', status: 503 };
    const r = await startRouter((url) => ({
      sinks: [
        { name: SINK, type: 'otlp', endpoint: url, batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '100ms' },
        { name: 'archive', type: 'otlp', endpoint: archive.url, delivery: 'best-effort', maxElapsedTime: '200ms', batchTimeout: '20ms', initialBackoff: '20ms', maxBackoff: '100ms' },
      ],
    }));
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { sink: 'archive', outcome: 'dropped' }) ?? 0) > 0, 'records dropped by the best-effort sink');
    await r.recorder.more(3);
    assert.ok(r.receiver.logs.length > 0, 'the required sink still delivers');
    await assertAlerts(r.recorder, [{ alert: 'EventrouterRecordsDropped', firing: [series({ sink: 'archive', outcome: 'dropped' })] }]);
  });

  it('EventrouterCheckpointDiscarded fires when the API server refuses the resume point', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    await r.recorder.more(3);
    // What a watch-cached API server answers for a resourceVersion in its future: the cursor is discarded, the router re-lists.
    const current = Number(r.api.resourceVersion);
    r.api.failRequests((_m, p, q) => p === EVENTS && q.get('watch') === 'true', 504, 1, FakeApiServer.tooLargeStatus(current + 10, current));
    r.api.closeWatches();
    await r.recorder.until((s) => (value(s, 'eventrouter_checkpoint_discarded_total', { reason: 'too-large' }) ?? 0) > 0, 'the discarded cursor');
    await r.recorder.more(3);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterCheckpointDiscarded', firing: [series({ reason: 'too-large' })] }]);
  });

  it('EventrouterMetricSeriesOverflow fires when events_total reaches its series limit', async () => {
    const r = await startRouter();
    await r.recorder.until((s) => (value(s, 'eventrouter_records_total', { outcome: 'exported' }) ?? 0) > 0, 'events exported');
    r.traffic(false);
    await r.recorder.more(3);
    // 51 reasons x 100 namespaces: more label sets than events_total keeps (5,000), each value within its label's cap.
    for (let i = 0; i < 5_100; i++) r.api.create(EVENTS, podEvent({ reason: `Reason${i % 51}` }, `ns-${Math.floor(i / 51)}`));
    await r.recorder.until((s) => (value(s, 'eventrouter_metric_series_overflow_total', { instrument: 'eventrouter_events_total' }) ?? 0) > 0, 'series overflow counted');
    await r.recorder.more(3);
    await assertAlerts(r.recorder, [{ alert: 'EventrouterMetricSeriesOverflow', firing: [series({ instrument: 'eventrouter_events_total' })] }]);
  });
});

describe('the shipped rules file', { skip }, () => {
  it('passes promtool check rules', () => {
    const result = runPromtool(promtool, ['check', 'rules', 'rules.yaml'], { 'rules.yaml': readFileSync(RULES_PATH, 'utf8') });
    assert.equal(result.status, 0, result.output);
  });
});

