import { existsSync } from 'node:fs';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import type { z } from 'zod';
import { otlpEndpointProblem } from '../../config-kit/addresses.ts';
import type { otlpSinkShape } from './config.ts';
import { type OtlpVariable, otlpVariable } from './otlp-env.ts';
import { OTLP_SPEC_DEFAULTS } from './otlp-target.ts';

/** The raw fields of the OTLP sink entry that reads the variables (`{}` for the default sink). */
type RawSink = Record<string, unknown>;

/** `VARIABLE: problem` for each issue of `schema` on `value`: the same rule, and message, as the file's key. */
function schemaProblems(schema: z.ZodType, value: unknown, variable: string): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => `${variable}: ${issue.message}`);
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS is `key=value,key=value` with percent-encoded values (W3C Baggage
 * without properties). The SDK's parser skips an entry it cannot read, which would send the
 * request without, say, its Authorization header: refused here instead. Values are secrets, so
 * only an entry's position is named.
 */
function headerProblems(env: NodeJS.ProcessEnv, variable: string): string[] {
  const text = env[variable]?.trim();
  if (!text) return [];
  const problems: string[] = [];
  text.split(',').forEach((entry, i) => {
    if (entry.trim() === '') return;
    // The SDK's own parser, one entry at a time: what it keeps is what the sink will send.
    if (Object.keys(parseKeyPairsIntoRecord(entry)).length !== 1) {
      problems.push(`${variable}: entry ${i + 1} is not key=value (comma-separated, values percent-encoded, e.g. Authorization=Bearer%20TOKEN)`);
    }
  });
  return problems;
}

/**
 * What is wrong with the OTEL_EXPORTER_OTLP_* variables that the OTLP sink `sink` takes (the
 * first OTLP sink, or the default one), each problem naming its variable. Each is checked by
 * the rule of the config key it stands in for (the schema's for protocol, compression and
 * timeout, the same endpoint check), so the environment and the file cannot disagree. A
 * variable is checked only where it is in force: the `_LOGS_` one when set (it wins), and none
 * whose key the sink entry sets itself. Per the OTLP exporter spec: TIMEOUT is an integer of
 * milliseconds, the signal-specific ENDPOINT a whole URL, the generic one a base URL. `shape`:
 * the otlp kind's keys (config.ts), whose rules the variables follow.
 */
export function otlpEnvProblems(sink: RawSink, env: NodeJS.ProcessEnv, shape: typeof otlpSinkShape): string[] {
  const problems: string[] = [];
  const unset = (key: string) => sink[key] === undefined;
  const tls = (typeof sink['tls'] === 'object' && sink['tls'] !== null ? sink['tls'] : {}) as Record<string, unknown>;
  const inForce = (name: string, key: string, set = unset(key)): OtlpVariable | undefined => (set ? otlpVariable(env, name) : undefined);

  const protocol = inForce('PROTOCOL', 'protocol');
  if (protocol !== undefined) problems.push(...schemaProblems(shape.protocol, protocol.value, protocol.variable));
  const compression = inForce('COMPRESSION', 'compression');
  if (compression !== undefined) problems.push(...schemaProblems(shape.compression, compression.value, compression.variable));
  const timeout = inForce('TIMEOUT', 'timeout');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout.value)) problems.push(`${timeout.variable}: "${timeout.value}" is not a whole number of milliseconds (e.g. 10000)`);
    else problems.push(...schemaProblems(shape.timeout, `${timeout.value}ms`, timeout.variable));
  }
  const endpoint = inForce('ENDPOINT', 'endpoint');
  if (endpoint !== undefined) {
    const configured = typeof sink['protocol'] === 'string' ? sink['protocol'] : undefined;
    const effective = configured ?? (protocol !== undefined && shape.protocol.safeParse(protocol.value).success ? protocol.value : OTLP_SPEC_DEFAULTS.protocol);
    const problem = otlpEndpointProblem(endpoint.value, effective);
    if (problem !== undefined) problems.push(`${endpoint.variable}: ${problem}`);
  }
  const insecure = inForce('INSECURE', 'insecure');
  if (insecure !== undefined && !/^(true|false)$/i.test(insecure.value)) problems.push(`${insecure.variable}: "${insecure.value}" is not true or false`);
  for (const variable of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_LOGS_HEADERS']) problems.push(...headerProblems(env, variable));

  const files = { caFile: inForce('CERTIFICATE', 'caFile', tls['caFile'] === undefined), certFile: inForce('CLIENT_CERTIFICATE', 'certFile', tls['certFile'] === undefined), keyFile: inForce('CLIENT_KEY', 'keyFile', tls['keyFile'] === undefined) };
  for (const file of Object.values(files)) {
    if (file !== undefined && !existsSync(file.value)) problems.push(`${file.variable}: ${file.value} does not exist`);
  }
  // mTLS needs both (a file entry's own tls pair is checked under its key).
  const hasCert = tls['certFile'] !== undefined || files.certFile !== undefined;
  const hasKey = tls['keyFile'] !== undefined || files.keyFile !== undefined;
  if (hasCert !== hasKey && (files.certFile !== undefined || files.keyFile !== undefined)) {
    const given = (files.certFile ?? files.keyFile) as OtlpVariable;
    problems.push(`${given.variable}: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together (mTLS)`);
  }
  return problems;
}
