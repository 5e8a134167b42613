/**
 * The repository's otel-collector.yaml against a real Collector.
 *
 * 1. `otelcol validate` (resolves every component's config but connects to nothing, so
 *    loki:3100 need not resolve). The e2e Collector distribution (scripts/e2e-otelcol-builder.yaml)
 *    lacks the contrib `elasticsearch` exporter: the Go module proxy reachable here refuses its
 *    module (see scripts/README-e2e.md). So: every component the distribution HAS must validate
 *    (a copy of the file without the missing ones must pass), the only error on the file as-is
 *    must be the missing component types, and the as-is check is a TODO (reported, not silently
 *    passed) until the distribution has them.
 * 2. The backends kept apart: the shipped structure (the receiving pipeline, one pipeline per
 *    backend behind its forward connector, each exporter's own persistent queue) runs with the
 *    Elasticsearch exporter's endpoint refusing connections for minutes, while the other backend,
 *    a real VictoriaLogs in Loki's place, receives every record as it comes; then the endpoint
 *    comes back and receives, from the disk queue, every record too.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { type CollectorConfig, typeOf, withoutMissing } from '../support/collector-config.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { freePort, httpReady, type Peer, startPeer } from './peer-process.ts';
import { e2eEnv, execResult, execText, REPO, runId, scratchDir, sleep, waitFor } from './support.ts';
import { queryLogs, startVictoriaLogs } from './victoria-logs.ts';

const CONFIG = join(REPO, 'otel-collector.yaml');

/** Component types the distribution was built with, by kind (`otlphttp` / `otlp` are the old names of `otlp_http` / `otlp_grpc`). */
async function available(otelcol: string): Promise<Record<string, Set<string>>> {
  const components = parse(await execText(otelcol, ['components']));
  const kinds: Record<string, Set<string>> = {};
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
    kinds[kind] = new Set((components[kind] ?? []).map((c: { name: string }) => c.name));
  }
  if (kinds['exporters']?.has('otlp_http')) kinds['exporters'].add('otlphttp');
  if (kinds['exporters']?.has('otlp_grpc')) kinds['exporters'].add('otlp');
  return kinds;
}

describe('otel-collector.yaml on the real Collector', () => {
  let otelcol = '';
  let kinds: Record<string, Set<string>> = {};

  before(async () => {
    otelcol = e2eEnv().EVENTROUTER_E2E_OTELCOL;
    kinds = await available(otelcol);
  });

  it('validates every component the distribution has (a copy without the missing ones passes)', async () => {
    const { copy, missing } = withoutMissing(parse(readFileSync(CONFIG, 'utf8')) as CollectorConfig, kinds);
    const file = join(scratchDir('collector-config'), 'otel-collector.available.yaml');
    writeFileSync(file, stringify(copy));
    const result = await execResult(otelcol, ['validate', `--config=${file}`]);
    assert.equal(result.code, 0, `otelcol validate (without ${missing.join(', ') || 'nothing'}):\n${result.stderr}${result.stdout}`);
    console.log(`# validated otel-collector.yaml without the components this distribution lacks: ${JSON.stringify(missing)}`);
  });

  it('fails on the file as-is only because of component types the distribution lacks', async (t) => {
    const { missing } = withoutMissing(parse(readFileSync(CONFIG, 'utf8')) as CollectorConfig, kinds);
    const result = await execResult(otelcol, ['validate', `--config=${CONFIG}`]);
    if (missing.length === 0) {
      assert.equal(result.code, 0, `otelcol validate --config otel-collector.yaml:\n${result.stderr}${result.stdout}`);
      return;
    }
    assert.notEqual(result.code, 0);
    const errors = (result.stderr + result.stdout).split('\n').filter((l) => /unknown type|error/i.test(l));
    for (const line of errors.filter((l) => /unknown type/.test(l))) {
      assert.ok(missing.some((m) => line.includes(`"${m.split('/').slice(1).join('/')}"`)), `unexpected error: ${line}`);
    }
    t.todo(`otelcol validate --config otel-collector.yaml cannot pass with this distribution: ${errors.join(' | ').trim()}`);
  });
});

/** How long the Elasticsearch endpoint refuses connections ("for minutes"); EVENTROUTER_E2E_OUTAGE_SECONDS shortens it for a quick local run. */
const OUTAGE_MS = Number(process.env['EVENTROUTER_E2E_OUTAGE_SECONDS'] ?? 150) * 1000;

/**
 * otel-collector.yaml as shipped (its extensions, receiver, processors, connectors, pipelines
 * and every exporter's sending queue), run on loopback: Loki's exporter sends to VictoriaLogs'
 * OTLP endpoint instead; the Elasticsearch exporter, which this distribution lacks, is an
 * otlp_http exporter with the shipped Elasticsearch queue, sending to `esPort`. Retries start
 * sooner than the defaults (5 s doubling to 30 s) so that the test does not idle.
 */
function apartConfig(ports: { otlp: number; health: number; store: number; es: number }, queueDir: string): CollectorConfig {
  const shipped = parse(readFileSync(CONFIG, 'utf8')) as CollectorConfig;
  const retry = { enabled: true, initial_interval: '500ms', max_interval: '2s', max_elapsed_time: '0s' };
  const loki = structuredClone(shipped.exporters['otlp_http/loki'] ?? {});
  delete loki['endpoint'];
  loki['logs_endpoint'] = `http://127.0.0.1:${ports.store}/insert/opentelemetry/v1/logs`;
  loki['retry_on_failure'] = retry;
  const elasticsearch = { logs_endpoint: `http://127.0.0.1:${ports.es}/v1/logs`, retry_on_failure: retry, sending_queue: structuredClone(shipped.exporters['elasticsearch']?.['sending_queue']) };
  const storage = structuredClone(shipped.extensions['file_storage'] ?? {});
  storage['directory'] = queueDir;
  (storage['compaction'] as Record<string, unknown>)['directory'] = queueDir;
  const pipelines = structuredClone(shipped.service.pipelines);
  for (const pipeline of Object.values(pipelines)) pipeline.exporters = pipeline.exporters.map((id) => (id === 'elasticsearch' ? 'otlp_http/elasticsearch' : id));
  return {
    ...shipped,
    extensions: { ...shipped.extensions, health_check: { endpoint: `127.0.0.1:${ports.health}` }, file_storage: storage },
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${ports.otlp}` } } } },
    exporters: { 'otlp_http/loki': loki, 'otlp_http/elasticsearch': elasticsearch, debug: shipped.exporters['debug'] ?? null },
    service: { ...shipped.service, telemetry: { metrics: { level: 'none' } }, pipelines },
  };
}

describe("otel-collector.yaml keeps the backends apart (Elasticsearch's endpoint refused, VictoriaLogs in Loki's place)", () => {
  const run = runId('e2e-apart');
  const dir = scratchDir(run);
  const ports = { otlp: 0, health: 0, store: 0, es: 0 };
  let store: Peer | undefined;
  let collector: Peer | undefined;
  const elasticsearch = new OtlpReceiver();
  let base = '';
  let seq = 0;

  /** Posts `n` records to the Collector, as eventrouter does (OTLP/HTTP); returns their numbers. */
  const postRecords = async (n: number): Promise<number[]> => {
    const numbers = Array.from({ length: n }, () => ++seq);
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'e2e.run', value: { stringValue: run } }] },
          scopeLogs: [
            {
              scope: { name: 'eventrouter' },
              logRecords: numbers.map((i) => ({
                timeUnixNano: String(now),
                severityText: 'Normal',
                body: { stringValue: `record ${i}` },
                attributes: [{ key: 'e2e.seq', value: { intValue: String(i) } }],
              })),
            },
          ],
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${ports.otlp}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    assert.equal(res.status, 200, `the Collector accepts the records: ${await res.text()}`);
    return numbers;
  };

  /** Record number → how many times VictoriaLogs holds it. */
  const inStore = async (): Promise<Map<number, number>> => {
    const counts = new Map<number, number>();
    for (const entry of await queryLogs(base, `e2e.run:="${run}" | fields e2e.seq`)) {
      const i = Number(entry['e2e.seq']);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    return counts;
  };
  const atElasticsearch = (): Map<number, number> => {
    const counts = new Map<number, number>();
    for (const log of elasticsearch.logs) {
      const i = Number(log.attributes['e2e.seq']);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    return counts;
  };
  const refusedExports = () => (collector?.output.match(/Exporting failed\. Will retry[^\n]*otlp_http\/elasticsearch|otlp_http\/elasticsearch[^\n]*Exporting failed\. Will retry/g) ?? []).length;

  before(async () => {
    const env = e2eEnv();
    const kinds = await available(env.EVENTROUTER_E2E_OTELCOL);
    assert.ok(kinds['connectors']?.has('forward'), 'the e2e Collector has the forward connector (scripts/e2e-otelcol-builder.yaml; rebuild with scripts/e2e-build otelcol)');
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
    base = `http://127.0.0.1:${ports.store}`;
    mkdirSync(join(dir, 'queue'), { recursive: true });
    writeFileSync(join(dir, 'collector.yaml'), stringify(apartConfig(ports, join(dir, 'queue'))));
    store = await startVictoriaLogs(dir, ports.store);
    collector = await startPeer({
      name: 'otelcol-apart',
      bin: env.EVENTROUTER_E2E_OTELCOL,
      args: [`--config=${join(dir, 'collector.yaml')}`],
      dir,
      ready: httpReady(`http://127.0.0.1:${ports.health}/`),
    });
  });

  after(async () => {
    await collector?.stop('SIGKILL');
    await store?.stop('SIGKILL');
    await elasticsearch.stop();
  });

  it('delivers every record to VictoriaLogs while Elasticsearch refuses connections for minutes, then every record to Elasticsearch from the disk queue', async () => {
    const structure = parse(readFileSync(join(dir, 'collector.yaml'), 'utf8')) as CollectorConfig;
    // The shipped structure: the receiving pipeline feeds one pipeline per backend.
    const pipelines = structure.service.pipelines;
    assert.deepEqual(pipelines['logs']?.exporters, ['forward/loki', 'forward/elasticsearch', 'debug']);
    assert.deepEqual(pipelines['logs/loki'], { receivers: ['forward/loki'], exporters: ['otlp_http/loki'] });
    assert.deepEqual(pipelines['logs/elasticsearch'], { receivers: ['forward/elasticsearch'], exporters: ['otlp_http/elasticsearch'] });
    assert.equal(typeOf(pipelines['logs/elasticsearch']?.receivers[0] ?? ''), 'forward');

    const started = Date.now();
    const posted: number[] = [];
    let checkpoints = 0;
    // Every 30 s of the outage, everything posted so far is in VictoriaLogs (bounded wait), while
    // Elasticsearch is still refused: the other backend is not waiting for it.
    while (Date.now() - started < OUTAGE_MS) {
      const until = Math.min(started + OUTAGE_MS, Date.now() + 30_000);
      while (Date.now() < until) {
        posted.push(...(await postRecords(5)));
        await sleep(500);
      }
      const upTo = posted.length;
      await waitFor(async () => (await inStore()).size >= upTo, `the first ${upTo} records in VictoriaLogs while Elasticsearch is down`, 60_000, () => collector?.output.slice(-2000) ?? '');
      checkpoints += 1;
      console.log(`# outage +${Math.round((Date.now() - started) / 1000)} s: ${upTo} records posted, all in VictoriaLogs; ${refusedExports()} refused exports to Elasticsearch so far`);
    }
    assert.ok(refusedExports() > 0, `the Elasticsearch endpoint really refused:\n${collector?.output.slice(-2000)}`);
    assert.equal(elasticsearch.logs.length, 0, 'nothing reached Elasticsearch during the outage');
    const stored = await inStore();
    const lost = posted.filter((i) => !stored.has(i));
    const duplicated = [...stored.values()].filter((n) => n > 1).length;
    console.log(`# outage of ${Math.round((Date.now() - started) / 1000)} s (${checkpoints} checks): posted ${posted.length}, VictoriaLogs holds ${stored.size}, lost ${lost.length}, duplicated ${duplicated}`);
    assert.deepEqual(lost, []);
    assert.equal(duplicated, 0);

    // Elasticsearch comes back on its port: its queue, on disk, delivers everything.
    await elasticsearch.start(ports.es);
    await waitFor(() => atElasticsearch().size >= posted.length, `all ${posted.length} records at Elasticsearch after it came back`, 180_000, () => collector?.output.slice(-2000) ?? '');
    const delivered = atElasticsearch();
    assert.deepEqual(posted.filter((i) => !delivered.has(i)), []);
    console.log(`# Elasticsearch back: received ${delivered.size} of ${posted.length} records from the queue (${[...delivered.values()].filter((n) => n > 1).length} more than once)`);
  });
});
