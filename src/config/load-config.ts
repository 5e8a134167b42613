import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { otlpEndpointProblem } from '../config-kit/addresses.ts';
import { ConfigError } from '../config-kit/config-error.ts';
import { OTLP_SPEC_DEFAULTS } from '../sinks/otlp/otlp-target.ts';
import { type Config, SINK_KIND_CONFIGS, configSchema, sinkSchema } from './schema.ts';

/** Without `sinks`: one OTLP sink that the standard OTEL_EXPORTER_OTLP_* variables configure. */
const DEFAULT_SINK = { type: 'otlp', name: 'otlp' } as const;

/** `sinks[1].protocol` from `['sinks', 1, 'protocol']`. */
function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${keyPath([...issue.path, key])}: unknown key`).join('\n  - ');
  }
  return `${keyPath(issue.path)}: ${issue.message}`;
}

/** Applies the environment variables that override config keys. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env['EVENTROUTER_CLUSTER_NAME']) raw['clusterName'] = env['EVENTROUTER_CLUSTER_NAME'];
  if (env['EVENTROUTER_LOG_LEVEL']) {
    const log = (raw['log'] ??= {}) as Record<string, unknown>;
    log['level'] = env['EVENTROUTER_LOG_LEVEL'];
  }
}

/**
 * The checks beyond the schema, on every part of `raw` that the schema accepts on its own: a
 * bad endpoint is reported together with the schema's problems (rule patterns and duplicate
 * sink names are checked by the schema itself), not only once those are fixed.
 */
function partProblems(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const entries = Array.isArray(raw['sinks']) ? (raw['sinks'] as unknown[]) : [];
  const fields = (entry: unknown) => (typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {});
  const kindOf = (entry: unknown) => {
    const type = fields(entry)['type'];
    return typeof type === 'string' && Object.hasOwn(SINK_KIND_CONFIGS, type) ? SINK_KIND_CONFIGS[type as keyof typeof SINK_KIND_CONFIGS] : undefined;
  };
  const firstOfKind = (i: number) => entries.findIndex((other) => fields(other)['type'] === fields(entries[i])['type']) === i;
  // Each entry's own checks, by its kind; an entry the schema refused elsewhere (a bad rule, say)
  // is still checked as far as it can be.
  entries.forEach((entry, i) => {
    const parsed = sinkSchema.safeParse(entry);
    const context = { key: `sinks[${i}]`, env, firstOfKind: firstOfKind(i) };
    problems.push(...(kindOf(entry)?.problems?.(parsed.success ? parsed.data : undefined, fields(entry), context) ?? []));
  });
  // The variables a kind reads (OTEL_EXPORTER_OTLP_*) configure its first entry (without `sinks`,
  // the default sink): checked by the same rules as its keys, at the same time.
  const withDefault: unknown[] = raw['sinks'] === undefined ? [DEFAULT_SINK] : entries;
  withDefault.forEach((entry, i) => {
    if (withDefault.findIndex((other) => fields(other)['type'] === fields(entry)['type']) !== i) return;
    problems.push(...(kindOf(entry)?.envProblems?.(raw['sinks'] === undefined ? {} : fields(entry), env) ?? []));
  });
  const selfMetrics = configSchema.shape.selfMetrics.safeParse(raw['selfMetrics']);
  if (selfMetrics.success && selfMetrics.data.otlpEndpoint !== '') {
    // The router's own metrics are pushed over OTLP/HTTP.
    const problem = otlpEndpointProblem(selfMetrics.data.otlpEndpoint, OTLP_SPEC_DEFAULTS.protocol);
    if (problem !== undefined) problems.push(`selfMetrics.otlpEndpoint: ${problem}`);
  }
  return problems;
}

/** Validates a parsed config object; throws {@link ConfigError} listing every problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, source?: string): Config {
  const input = raw === null || raw === undefined ? {} : raw;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(['(root): the configuration must be a mapping'], source);
  }
  const copy = structuredClone(input) as Record<string, unknown>;
  applyEnv(copy, env);
  const result = configSchema.safeParse(copy);
  const problems = partProblems(copy, env);
  if (!result.success) throw new ConfigError([...result.error.issues.map(describe), ...problems], source);
  const config = result.data;
  if (config.sinks === undefined) {
    // No sinks configured: one OTLP sink that the standard OTEL_EXPORTER_OTLP_* variables configure.
    config.sinks = [sinkSchema.parse(DEFAULT_SINK)];
  }
  if (config.sinks.length === 0) problems.push('sinks: at least one sink is required');
  if (config.leaderElection.renewDeadline >= config.leaderElection.leaseDuration) {
    problems.push('leaderElection.renewDeadline: must be shorter than leaderElection.leaseDuration');
  }
  if (config.leaderElection.enabled && config.checkpoint.store === 'file') {
    problems.push('checkpoint.store: leader election needs a store both replicas share (configmap), not "file"');
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  return config;
}

/** Reads and validates the YAML file at `path` (or defaults when undefined). */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (path === undefined) return parseConfig({}, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`(file): cannot read ${path}: ${(error as Error).message}`], path);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `(yaml) line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
      path,
    );
  }
  return parseConfig(doc.toJS(), env, path);
}
