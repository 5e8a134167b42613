import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { SAVE_TIMEOUT_MS } from '../../src/checkpoint/checkpoint-committer.ts';
import { configReferenceMarkdown, walk } from '../../src/config/json-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { SINK_KIND_CONFIGS, configSchema } from '../../src/config/schema.ts';
import { SINK_QUEUE_DEFAULTS } from '../../src/sinks/sink-defaults.ts';
import { SINK_KINDS } from '../../src/sinks/sink-kinds.ts';
import { SOURCE_BACKOFF_DEFAULTS } from '../../src/source/backoff.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every key path of the composed schema with its JSON Schema node, as the reference lists them. */
function keys(): Map<string, { description?: string }> {
  const found = new Map<string, { description?: string }>();
  // The schema alone: no table of descriptions is merged in afterwards.
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Parameters<typeof walk>[0];
  walk(schema, (path, node) => {
    if (path.endsWith('[]') && node.properties === undefined && node.anyOf === undefined && node.oneOf === undefined) return;
    if (path.startsWith('sinks[].match[]') || path.startsWith('sinks[].drop[]')) return;
    if (!found.has(path)) found.set(path, node as { description?: string });
  });
  return found;
}

/** The text of every .ts file under src/, with `\'` and `\"` read as the quote they stand for. */
function sourceText(): string {
  const files: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) files.push(readFileSync(path, 'utf8').replace(/\\(['"])/g, '$1'));
    }
  };
  visit(join(ROOT, 'src'));
  return files.join('\n');
}

describe('component configs composed into one schema', () => {
  it('carries each key\'s description in the schema itself, from the component that owns the key', () => {
    const missing = [...keys()].filter(([, node]) => !node.description).map(([path]) => path);
    assert.deepEqual(missing, []);
  });

  it('writes each description once in src/', () => {
    const text = sourceText();
    const generated = new Set(['sinks[].type']); // the list of registered kinds, built from the registry
    const counts = [...keys()]
      .filter(([path]) => !generated.has(path))
      .map(([path, node]) => [path, text.split(node.description ?? '').length - 1] as const)
      .filter(([, count]) => count !== 1);
    assert.deepEqual(counts, [], 'each description is written exactly once (path, times found)');
  });

  it('documents every registered sink kind and each of its keys from its own config.ts', () => {
    const reference = configReferenceMarkdown();
    const typeRow = reference.split('\n').find((row) => row.startsWith('| `sinks[].type` |')) ?? '';
    for (const [kind, config] of Object.entries(SINK_KIND_CONFIGS)) {
      assert.match(typeRow, new RegExp(`\\b${kind}\\b`), `sinks[].type names ${kind}`);
      for (const key of Object.keys(config.shape)) assert.match(reference, new RegExp(`\\| \`sinks\\[\\]\\.${key}\` \\|`), `${kind}: sinks[].${key}`);
    }
    assert.deepEqual(Object.keys(SINK_KIND_CONFIGS), Object.keys(SINK_KINDS), 'the schema takes its kinds from the registry, in its order');
  });

  it('gives the units that fall back on a default the same value as the schema', () => {
    const config = parseConfig({ sinks: [{ name: 'a', type: 'stdout' }] }, {});
    assert.equal(config.source.minBackoff, SOURCE_BACKOFF_DEFAULTS.minBackoff);
    assert.equal(config.source.maxBackoff, SOURCE_BACKOFF_DEFAULTS.maxBackoff);
    assert.equal(config.checkpoint.timeout, SAVE_TIMEOUT_MS);
    const sink = config.sinks?.[0] as unknown as Record<string, unknown>;
    assert.deepEqual(Object.fromEntries(Object.keys(SINK_QUEUE_DEFAULTS).map((key) => [key, sink[key]])), SINK_QUEUE_DEFAULTS);
  });

  it('loads no sink with the schema, and no schema library with the sinks', () => {
    // What a fresh process resolves when it loads one side: the config worker's, or the router's.
    const loaded = (module: string): string[] => {
      const script = [
        "import { registerHooks } from 'node:module';",
        'const urls = [];',
        'registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });',
        `await import(${JSON.stringify(new URL(module, `file://${ROOT}`).href)});`,
        'process.stdout.write(JSON.stringify(urls));',
      ].join('\n');
      return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    };
    const schemaSide = loaded('src/config/load-config.ts');
    assert.ok(schemaSide.some((url) => url.endsWith('/src/sinks/otlp/config.ts')), 'the config worker loads the kinds\' configs');
    assert.deepEqual(schemaSide.filter((url) => /\/src\/sinks\/.*(-sink|factory)\.ts$/.test(url)), [], 'and no sink');
    const sinkSide = loaded('src/sinks/sink-factory.ts');
    assert.ok(sinkSide.some((url) => url.endsWith('/src/sinks/otlp/otlp-sink.ts')), 'the router loads the sinks');
    assert.deepEqual(sinkSide.filter((url) => url.includes('/node_modules/zod/') || url.endsWith('/config.ts')), [], 'and no schema');
  });
});
