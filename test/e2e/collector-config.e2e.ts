/**
 * The repository's otel-collector.yaml against a real Collector (`otelcol validate`, which
 * resolves every component's config but connects to nothing, so loki:3100 need not resolve).
 *
 * The e2e Collector distribution (scripts/e2e-otelcol-builder.yaml) lacks the contrib
 * `elasticsearch` exporter: the Go module proxy reachable here refuses its module (see
 * scripts/README-e2e.md). So: every component the distribution HAS must validate (a copy of
 * the file without the missing exporters must pass), the only error on the file as-is must be
 * the missing component types, and the as-is check is a TODO (reported, not silently passed)
 * until the distribution has them.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { e2eEnv, execResult, execText, REPO, scratchDir } from './support.ts';

const CONFIG = join(REPO, 'otel-collector.yaml');

describe('otel-collector.yaml on the real Collector', () => {
  let otelcol = '';
  const available = new Map<string, Set<string>>();

  before(async () => {
    otelcol = e2eEnv().EVENTROUTER_E2E_OTELCOL;
    const components = parse(await execText(otelcol, ['components']));
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
      available.set(kind, new Set((components[kind] ?? []).map((c: { name: string }) => c.name)));
    }
  });

  /** Component ids of `config` whose type the distribution lacks, by kind. */
  const missingIn = (config: any): Array<[string, string]> => {
    const missing: Array<[string, string]> = [];
    for (const [kind, names] of available) {
      for (const id of Object.keys(config[kind] ?? {})) {
        const type = id.split('/')[0]!;
        const known = names.has(type) || (kind === 'exporters' && type === 'otlphttp' && names.has('otlp_http')) || (kind === 'exporters' && type === 'otlp' && names.has('otlp_grpc'));
        if (!known) missing.push([kind, id]);
      }
    }
    return missing;
  };

  it('validates every component the distribution has (a copy without the missing ones passes)', async () => {
    const config = parse(readFileSync(CONFIG, 'utf8'));
    const missing = missingIn(config);
    for (const [kind, id] of missing) {
      delete config[kind][id];
      for (const pipeline of Object.values<any>(config.service?.pipelines ?? {})) {
        if (Array.isArray(pipeline[kind])) pipeline[kind] = pipeline[kind].filter((x: string) => x !== id);
      }
      if (kind === 'extensions') {
        config.service.extensions = (config.service.extensions ?? []).filter((x: string) => x !== id);
        // A sending queue's `storage` names a storage extension (file_storage): without it the queue stays in memory.
        for (const exporter of Object.values<any>(config.exporters ?? {})) {
          if (exporter?.sending_queue?.storage === id) delete exporter.sending_queue.storage;
        }
      }
    }
    const copy = join(scratchDir('collector-config'), 'otel-collector.available.yaml');
    writeFileSync(copy, stringify(config));
    const result = await execResult(otelcol, ['validate', `--config=${copy}`]);
    assert.equal(result.code, 0, `otelcol validate (without ${missing.map(([, id]) => id).join(', ') || 'nothing'}):\n${result.stderr}${result.stdout}`);
    console.log(`# validated otel-collector.yaml without the components this distribution lacks: ${JSON.stringify(missing)}`);
  });

  it('fails on the file as-is only because of component types the distribution lacks', async (t) => {
    const config = parse(readFileSync(CONFIG, 'utf8'));
    const missing = missingIn(config);
    const result = await execResult(otelcol, ['validate', `--config=${CONFIG}`]);
    if (missing.length === 0) {
      assert.equal(result.code, 0, `otelcol validate --config otel-collector.yaml:\n${result.stderr}${result.stdout}`);
      return;
    }
    assert.notEqual(result.code, 0);
    const errors = (result.stderr + result.stdout).split('\n').filter((l) => /unknown type|error/i.test(l));
    for (const line of errors.filter((l) => /unknown type/.test(l))) {
      assert.ok(missing.some(([, id]) => line.includes(`"${id}"`)), `unexpected error: ${line}`);
    }
    t.todo(`otelcol validate --config otel-collector.yaml cannot pass with this distribution: ${errors.join(' | ').trim()}`);
  });
});
