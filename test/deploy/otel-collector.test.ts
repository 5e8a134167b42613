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

  it('runs memory_limiter first, then batch, in every pipeline', () => {
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      assert.deepEqual(pipeline.processors?.slice(0, 1), ['memory_limiter'], name);
      assert.equal(pipeline.processors?.at(-1), 'batch', name);
    }
  });

  it('exports to Loki over native OTLP, to Elasticsearch in OTel mapping mode, and to debug', () => {
    assert.equal(config.exporters['otlphttp/loki']?.['endpoint'], 'http://loki:3100/otlp');
    assert.deepEqual(config.exporters['elasticsearch']?.['mapping'], { mode: 'otel' });
    assert.ok(config.exporters['debug'] !== undefined);
    const exported = new Set(Object.values(config.service.pipelines).flatMap((p) => p.exporters));
    assert.deepEqual([...exported].sort(), ['debug', 'elasticsearch', 'otlphttp/loki']);
  });

  it('enables the health_check extension', () => {
    assert.ok(config.extensions['health_check'] !== undefined);
    assert.deepEqual(config.service.extensions, ['health_check']);
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
          if (kind === 'extensions') copy.service.extensions = (copy.service.extensions ?? []).filter((c) => c !== id);
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
