import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { otlpEndpointProblem } from './addresses.ts';
import { ConfigError } from './config-error.ts';
import { readHeaderValue } from './header-value.ts';
import { otlpEnvProblems } from './otlp-env-check.ts';
import { readOtlpEnv } from './otlp-env.ts';
import { type Config, type SinkConfig, configSchema, sinkSchema } from './schema.ts';

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

/** The endpoint of OTLP sink `i` for its protocol (the first OTLP sink's defaults to OTEL_EXPORTER_OTLP_*). */
function endpointProblems(endpoint: string, protocol: string | undefined, i: number, firstOtlp: boolean, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = firstOtlp ? readOtlpEnv(env).protocol : undefined;
  const problem = otlpEndpointProblem(endpoint, protocol ?? fromEnv ?? 'http/protobuf');
  return problem === undefined ? [] : [`sinks[${i}].endpoint: ${problem}`];
}

/** Problems of one sink that the schema cannot see (endpoint for its protocol, files, env). Rule patterns are checked by the schema. */
function sinkProblems(sink: SinkConfig, i: number, firstOtlp: boolean, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (sink.type !== 'otlp') return problems;
  if (sink.endpoint !== undefined) problems.push(...endpointProblems(sink.endpoint, sink.protocol, i, firstOtlp, env));
  for (const [name, value] of Object.entries(sink.headers)) {
    const read = readHeaderValue(value, env, `sinks[${i}].headers.${name}`);
    if ('problem' in read) problems.push(read.problem);
  }
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const file = sink.tls?.[key];
    if (file !== undefined && !existsSync(file)) problems.push(`sinks[${i}].tls.${key}: ${file} does not exist`);
  }
  if ((sink.tls?.certFile === undefined) !== (sink.tls?.keyFile === undefined)) {
    problems.push(`sinks[${i}].tls: certFile and keyFile go together (mTLS)`);
  }
  return problems;
}

/**
 * The checks beyond the schema, on every part of `raw` that the schema accepts on its own: a
 * bad endpoint is reported together with the schema's problems (rule patterns and duplicate
 * sink names are checked by the schema itself), not only once those are fixed.
 */
function partProblems(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const sinks = Array.isArray(raw['sinks']) ? (raw['sinks'] as unknown[]) : [];
  const firstOtlp = sinks.findIndex((sink) => typeof sink === 'object' && sink !== null && (sink as Record<string, unknown>)['type'] === 'otlp');
  sinks.forEach((rawSink, i) => {
    const sink = sinkSchema.safeParse(rawSink);
    if (sink.success) {
      problems.push(...sinkProblems(sink.data, i, i === firstOtlp, env));
      return;
    }
    // The sink has schema problems elsewhere (a bad rule, say): its endpoint is still checked.
    const fields = typeof rawSink === 'object' && rawSink !== null ? (rawSink as Record<string, unknown>) : {};
    if (fields['type'] === 'otlp' && typeof fields['endpoint'] === 'string') {
      const protocol = typeof fields['protocol'] === 'string' ? fields['protocol'] : undefined;
      problems.push(...endpointProblems(fields['endpoint'], protocol, i, i === firstOtlp, env));
    }
  });
  // The OTEL_EXPORTER_OTLP_* variables configure the first OTLP sink (the default one without
  // `sinks`): checked by the same rules as its keys, at the same time.
  if (raw['sinks'] === undefined) problems.push(...otlpEnvProblems({}, env));
  else if (firstOtlp >= 0) problems.push(...otlpEnvProblems(sinks[firstOtlp] as Record<string, unknown>, env));
  const selfMetrics = configSchema.shape.selfMetrics.safeParse(raw['selfMetrics']);
  if (selfMetrics.success && selfMetrics.data.otlpEndpoint !== '') {
    const problem = otlpEndpointProblem(selfMetrics.data.otlpEndpoint, 'http/protobuf');
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
    config.sinks = [configSchema.shape.sinks.unwrap().element.parse({ type: 'otlp', name: 'otlp' })];
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
