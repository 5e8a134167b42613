import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { type CollectorConfig, typeOf, withoutMissing } from '../support/collector-config.ts';
import { ROOT } from './manifests.ts';

const FILE = join(ROOT, 'otel-collector.yaml');
const config = parse(readFileSync(FILE, 'utf8')) as CollectorConfig;
/** The shipped config and the single-backend example: the same rules hold for both. */
const FILES = { 'otel-collector.yaml': FILE, 'examples/otel-collector-single-backend.yaml': join(ROOT, 'examples', 'otel-collector-single-backend.yaml') };
const load = (file: string) => parse(readFileSync(file, 'utf8')) as CollectorConfig;

/** The exporters that send to a backend (not debug). */
const backendsOf = (c: CollectorConfig) => Object.keys(c.exporters).filter((id) => typeOf(id) !== 'debug').sort();

/** An otelcol binary: $OTELCOL_BIN, else the first `~/.cache/eventrouter-e2e/<dir>/bin/otelcol*`. */
function findCollector(): string | undefined {
  const explicit = process.env['OTELCOL_BIN'];
  if (explicit !== undefined && existsSync(explicit)) return explicit;
  const cache = process.env['EVENTROUTER_E2E_CACHE'] ?? join(homedir(), '.cache', 'eventrouter-e2e');
  if (!existsSync(cache)) return undefined;
  for (const dir of readdirSync(cache).sort().reverse()) {
    const bin = join(cache, dir, 'bin');
    if (!existsSync(bin)) continue;
    const found = readdirSync(bin).find((f) => f.startsWith('otelcol'));
    if (found !== undefined) return join(bin, found);
  }
  return undefined;
}

/** Component types the binary was built with, by kind (`otlphttp` is the old name of `otlp_http`). */
function components(bin: string): Record<string, Set<string>> {
  const result = spawnSync(bin, ['components'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  const listed = parse(result.stdout) as Record<string, { name: string }[] | undefined>;
  const kinds: Record<string, Set<string>> = {};
  for (const kind of ['receivers', 'processors', 'exporters', 'connectors', 'extensions']) {
    kinds[kind] = new Set((listed[kind] ?? []).map((c) => c.name));
  }
  const exporters = kinds['exporters'];
  if (exporters?.has('otlp_http')) exporters.add('otlphttp');
  if (exporters?.has('otlp_grpc')) exporters.add('otlp');
  return kinds;
}

describe('otel-collector.yaml', () => {
  it('receives OTLP on gRPC 4317 and HTTP 4318', () => {
    assert.equal(config.receivers['otlp']?.protocols?.['grpc']?.endpoint, '0.0.0.0:4317');
    assert.equal(config.receivers['otlp']?.protocols?.['http']?.endpoint, '0.0.0.0:4318');
  });

  it('exports to Loki over native OTLP (otlp_http, not the deprecated otlphttp alias), to Elasticsearch in OTel mapping mode, and to debug', () => {
    assert.equal(config.exporters['otlp_http/loki']?.['endpoint'], 'http://loki:3100/otlp');
    assert.deepEqual(config.exporters['elasticsearch']?.['mapping'], { mode: 'otel' });
    assert.ok(config.exporters['debug'] !== undefined);
    const exported = new Set(Object.values(config.service.pipelines).flatMap((p) => p.exporters).filter((id) => config.exporters[id] !== undefined));
    assert.deepEqual([...exported].sort(), ['debug', 'elasticsearch', 'otlp_http/loki']);
    const deprecated = Object.keys(config.exporters).filter((id) => ['otlphttp', 'otlp'].includes(typeOf(id)));
    assert.deepEqual(deprecated, [], 'otlphttp / otlp are deprecated aliases of otlp_http / otlp_grpc');
    const loki = config.exporters['otlp_http/loki']?.['retry_on_failure'] as Record<string, unknown>;
    assert.equal(loki['max_elapsed_time'], '0s', 'Loki: retried until it accepts (the queue holds the data)');
  });

  it('has a single-backend example with the same structure, for Loki alone', () => {
    const single = load(FILES['examples/otel-collector-single-backend.yaml']);
    assert.deepEqual(backendsOf(single), ['otlp_http/loki']);
    assert.deepEqual(single.exporters['otlp_http/loki'], config.exporters['otlp_http/loki'], 'the same Loki exporter as the shipped file');
    assert.deepEqual(single.extensions, config.extensions);
    assert.deepEqual(single.receivers, config.receivers);
    assert.deepEqual(single.processors, config.processors);
  });

  for (const [name, file] of Object.entries(FILES)) {
    const c = load(file);
    describe(name, () => {
      it('runs memory_limiter once, where records come in, and no batch processor (it answers before export and hides back-pressure): the exporters batch', () => {
        assert.deepEqual(c.service.pipelines['logs']?.receivers, ['otlp']);
        assert.deepEqual(c.service.pipelines['logs']?.processors, ['memory_limiter']);
        assert.equal(c.processors['batch'], undefined);
        for (const [id, pipeline] of Object.entries(c.service.pipelines)) {
          if (id !== 'logs') assert.ok(!(pipeline.processors ?? []).some((p) => ['memory_limiter', 'batch'].includes(typeOf(p))), id);
        }
      });

      it('keeps the backends apart: one pipeline per backend, fed by its own forward connector from the receiving pipeline', () => {
        const intake = c.service.pipelines['logs'];
        assert.ok(intake);
        assert.deepEqual(intake.exporters.filter((id) => c.exporters[id] !== undefined && typeOf(id) !== 'debug'), [], 'the receiving pipeline exports to no backend itself');
        const backends = backendsOf(c);
        assert.ok(backends.length >= 1);
        for (const backend of backends) {
          const pipelines = Object.entries(c.service.pipelines).filter(([, p]) => p.exporters.includes(backend));
          assert.equal(pipelines.length, 1, `${backend}: in one pipeline`);
          const [id, pipeline] = pipelines[0] as [string, { receivers: string[]; exporters: string[] }];
          assert.deepEqual(pipeline.exporters, [backend], `${id}: ${backend} alone`);
          assert.equal(pipeline.receivers.length, 1, `${id}: one receiver`);
          const connector = pipeline.receivers[0] ?? '';
          assert.equal(typeOf(connector), 'forward', `${id}: fed by a forward connector`);
          assert.ok(c.connectors !== undefined && connector in c.connectors, `${connector} is defined`);
          assert.ok(intake.exporters.includes(connector), `the receiving pipeline feeds ${connector}`);
          const fed: unknown[] = Object.values(c.service.pipelines).filter((p) => p.receivers.includes(connector));
          assert.equal(fed.length, 1, `${connector} feeds one pipeline`);
        }
      });

      it('acknowledges eventrouter only once the records are on disk: every backend exporter has its own persistent, blocking, batching queue', () => {
        const storage = c.extensions['file_storage'] as { directory?: string; fsync?: boolean; create_directory?: boolean } | undefined;
        assert.ok(storage, 'a file_storage extension');
        assert.equal(storage.fsync, true, 'fsync: survives a kernel crash, not only a process restart');
        assert.ok(c.service.extensions?.includes('file_storage'), 'enabled in service.extensions');
        for (const id of backendsOf(c)) {
          const queue = c.exporters[id]?.['sending_queue'] as Record<string, unknown> | undefined;
          assert.ok(queue, `${id}: sending_queue`);
          assert.equal(queue['enabled'], true, `${id}: queue enabled`);
          assert.equal(queue['storage'], 'file_storage', `${id}: persistent queue (an in-memory one loses acknowledged records on a restart)`);
          assert.equal(queue['block_on_overflow'], true, `${id}: a full queue pushes back instead of dropping`);
          assert.notEqual(queue['wait_for_result'], true, `${id}: acknowledged at the queue (the disk), not at the backend (which would tie the backends together again)`);
          assert.equal(queue['sizer'], 'bytes', `${id}: sized in bytes, what the disk holds`);
          assert.ok(Number(queue['queue_size']) >= 256 * 1024 * 1024, `${id}: room for a long outage of this backend (${String(queue['queue_size'])} bytes)`);
          const batch = queue['batch'] as Record<string, unknown> | undefined;
          assert.ok(batch && typeof batch['flush_timeout'] === 'string', `${id}: the exporter batches (sending_queue.batch)`);
        }
      });

      it('enables the health_check and file_storage extensions', () => {
        assert.ok(c.extensions['health_check'] !== undefined);
        assert.deepEqual(c.service.extensions, ['health_check', 'file_storage']);
      });

      it('defines every component a pipeline uses, and uses every component it defines', () => {
        const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>(), connectors: new Set<string>() };
        const connectors = new Set(Object.keys(c.connectors ?? {}));
        for (const pipeline of Object.values(c.service.pipelines)) {
          pipeline.receivers.forEach((r) => (connectors.has(r) ? used.connectors : used.receivers).add(r));
          (pipeline.processors ?? []).forEach((p) => used.processors.add(p));
          pipeline.exporters.forEach((e) => (connectors.has(e) ? used.connectors : used.exporters).add(e));
        }
        for (const kind of ['receivers', 'processors', 'exporters', 'connectors'] as const) {
          assert.deepEqual([...used[kind]].sort(), Object.keys(c[kind] ?? {}).sort(), kind);
        }
      });

      const bin = findCollector();
      it(
        `passes \`otelcol validate\` (${bin ?? 'no binary'})`,
        { skip: bin === undefined ? 'no otelcol binary in ~/.cache/eventrouter-e2e/*/bin (scripts/e2e-build builds one) and OTELCOL_BIN unset' : false },
        (t) => {
          const { copy, missing } = withoutMissing(c, components(bin as string));
          if (missing.length > 0) t.diagnostic(`not in this otelcol build, so not validated: ${missing.join(', ')}`);
          const dir = mkdtempSync(join(tmpdir(), 'otelcol-validate-'));
          try {
            const out = join(dir, 'config.yaml');
            writeFileSync(out, missing.length > 0 ? stringify(copy) : readFileSync(file, 'utf8'));
            const result = spawnSync(bin as string, ['validate', '--config', out], { encoding: 'utf8', timeout: 60_000 });
            assert.equal(result.status, 0, result.stdout + result.stderr);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      );
    });
  }
});
