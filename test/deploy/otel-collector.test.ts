import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT } from './manifests.ts';

interface CollectorConfig {
  extensions: Record<string, Record<string, unknown> | null>;
  receivers: Record<string, { protocols?: Record<string, { endpoint?: string }> } | null>;
  processors: Record<string, Record<string, unknown> | null>;
  exporters: Record<string, Record<string, unknown> | null>;
  connectors?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

const FILE = join(ROOT, 'otel-collector.yaml');
const config = parse(readFileSync(FILE, 'utf8')) as CollectorConfig;

/** `otlphttp/loki` → `otlphttp`. */
const typeOf = (id: string) => id.split('/')[0] ?? id;

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

  it('runs memory_limiter and no batch processor (it answers before export and hides back-pressure): the exporters batch', () => {
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      assert.deepEqual(pipeline.processors, ['memory_limiter'], name);
    }
    assert.equal(config.processors['batch'], undefined);
  });

  it('exports to Loki over native OTLP (otlp_http, not the deprecated otlphttp alias), to Elasticsearch in OTel mapping mode, and to debug', () => {
    assert.equal(config.exporters['otlp_http/loki']?.['endpoint'], 'http://loki:3100/otlp');
    assert.deepEqual(config.exporters['elasticsearch']?.['mapping'], { mode: 'otel' });
    assert.ok(config.exporters['debug'] !== undefined);
    const exported = new Set(Object.values(config.service.pipelines).flatMap((p) => p.exporters));
    assert.deepEqual([...exported].sort(), ['debug', 'elasticsearch', 'otlp_http/loki']);
    const deprecated = Object.keys(config.exporters).filter((id) => ['otlphttp', 'otlp'].includes(typeOf(id)));
    assert.deepEqual(deprecated, [], 'otlphttp / otlp are deprecated aliases of otlp_http / otlp_grpc');
  });

  it('acknowledges eventrouter only once the records are on disk: every backend exporter has a persistent, blocking, batching queue', () => {
    const storage = config.extensions['file_storage'] as { directory?: string; fsync?: boolean; create_directory?: boolean } | undefined;
    assert.ok(storage, 'a file_storage extension');
    assert.equal(storage.fsync, true, 'fsync: survives a kernel crash, not only a process restart');
    assert.ok(config.service.extensions?.includes('file_storage'), 'enabled in service.extensions');
    const backends = Object.keys(config.exporters).filter((id) => typeOf(id) !== 'debug');
    assert.deepEqual(backends.sort(), ['elasticsearch', 'otlp_http/loki']);
    for (const id of backends) {
      const queue = config.exporters[id]?.['sending_queue'] as Record<string, unknown> | undefined;
      assert.ok(queue, `${id}: sending_queue`);
      assert.equal(queue['enabled'], true, `${id}: queue enabled`);
      assert.equal(queue['storage'], 'file_storage', `${id}: persistent queue (an in-memory one loses acknowledged records on a restart)`);
      assert.equal(queue['block_on_overflow'], true, `${id}: a full queue pushes back instead of dropping`);
      assert.notEqual(queue['wait_for_result'], true, `${id}: acknowledged at the queue (the disk), not at the backend`);
      const batch = queue['batch'] as Record<string, unknown> | undefined;
      assert.ok(batch && typeof batch['flush_timeout'] === 'string', `${id}: the exporter batches (sending_queue.batch)`);
    }
    const loki = config.exporters['otlp_http/loki']?.['retry_on_failure'] as Record<string, unknown>;
    assert.equal(loki['max_elapsed_time'], '0s', 'Loki: retried until it accepts (the queue holds the data)');
  });

  it('enables the health_check and file_storage extensions', () => {
    assert.ok(config.extensions['health_check'] !== undefined);
    assert.deepEqual(config.service.extensions, ['health_check', 'file_storage']);
  });

  it('defines every component a pipeline uses, and uses every component it defines', () => {
    const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
    for (const pipeline of Object.values(config.service.pipelines)) {
      pipeline.receivers.forEach((r) => used.receivers.add(r));
      (pipeline.processors ?? []).forEach((p) => used.processors.add(p));
      pipeline.exporters.forEach((e) => used.exporters.add(e));
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      assert.deepEqual([...used[kind]].sort(), Object.keys(config[kind]).sort(), kind);
    }
  });

  const bin = findCollector();
  it(
    `passes \`otelcol validate\` (${bin ?? 'no binary'})`,
    { skip: bin === undefined ? 'no otelcol binary in ~/.cache/eventrouter-e2e/*/bin (scripts/e2e-build builds one) and OTELCOL_BIN unset' : false },
    (t) => {
      const available = components(bin as string);
      // Validate what the binary can: components it was not built with are removed from a copy
      // (and reported), so the rest of the file is still checked against a real Collector.
      const copy = structuredClone(config);
      const missing: string[] = [];
      for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
        for (const id of Object.keys(copy[kind])) {
          if (available[kind]?.has(typeOf(id))) continue;
          missing.push(`${kind}/${id}`);
          delete copy[kind][id];
          for (const pipeline of Object.values(copy.service.pipelines)) {
            if (kind === 'receivers') pipeline.receivers = pipeline.receivers.filter((c) => c !== id);
            if (kind === 'processors') pipeline.processors = (pipeline.processors ?? []).filter((c) => c !== id);
            if (kind === 'exporters') pipeline.exporters = pipeline.exporters.filter((c) => c !== id);
          }
          if (kind === 'extensions') {
            copy.service.extensions = (copy.service.extensions ?? []).filter((c) => c !== id);
            // A sending queue's `storage` names a storage extension: without it, the queue stays in memory.
            for (const exporter of Object.values(copy.exporters)) {
              const queue = exporter?.['sending_queue'] as Record<string, unknown> | undefined;
              if (queue?.['storage'] === id) delete queue['storage'];
            }
          }
        }
      }
      if (missing.length > 0) t.diagnostic(`not in this otelcol build, so not validated: ${missing.join(', ')}`);
      const dir = mkdtempSync(join(tmpdir(), 'otelcol-validate-'));
      try {
        const file = join(dir, 'config.yaml');
        writeFileSync(file, missing.length > 0 ? stringify(copy) : readFileSync(FILE, 'utf8'));
        const result = spawnSync(bin as string, ['validate', '--config', file], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(result.status, 0, result.stdout + result.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
