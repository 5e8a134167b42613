import { existsSync } from 'node:fs';
import { otlpEndpointProblem } from '../../config-kit/addresses.ts';
import type { SinkCheckContext } from '../config.ts';
import type { OtlpSinkConfig } from './config.ts';
import { readHeaderValue } from './header-value.ts';
import { readOtlpEnv } from './otlp-env.ts';
import { OTLP_SPEC_DEFAULTS } from './otlp-target.ts';

/** The endpoint for its protocol (the first OTLP sink's protocol defaults to OTEL_EXPORTER_OTLP_(LOGS_)PROTOCOL). */
function endpointProblems(endpoint: string, protocol: string | undefined, context: SinkCheckContext): string[] {
  const fromEnv = context.firstOfKind ? readOtlpEnv(context.env).protocol : undefined;
  const problem = otlpEndpointProblem(endpoint, protocol ?? fromEnv ?? OTLP_SPEC_DEFAULTS.protocol);
  return problem === undefined ? [] : [`${context.key}.endpoint: ${problem}`];
}

/**
 * Problems of an OTLP sink entry that the schema cannot see: the endpoint for its protocol,
 * header values read from the environment or files, certificate files. `entry` undefined: the
 * schema refused the entry for another reason (a bad rule, say); its endpoint is still checked.
 */
export function otlpEntryProblems(entry: OtlpSinkConfig | undefined, raw: Record<string, unknown>, context: SinkCheckContext): string[] {
  if (entry === undefined) {
    if (typeof raw['endpoint'] !== 'string') return [];
    return endpointProblems(raw['endpoint'], typeof raw['protocol'] === 'string' ? raw['protocol'] : undefined, context);
  }
  const problems: string[] = [];
  if (entry.endpoint !== undefined) problems.push(...endpointProblems(entry.endpoint, entry.protocol, context));
  for (const [name, value] of Object.entries(entry.headers)) {
    const read = readHeaderValue(value, context.env, `${context.key}.headers.${name}`);
    if ('problem' in read) problems.push(read.problem);
  }
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const file = entry.tls?.[key];
    if (file !== undefined && !existsSync(file)) problems.push(`${context.key}.tls.${key}: ${file} does not exist`);
  }
  if ((entry.tls?.certFile === undefined) !== (entry.tls?.keyFile === undefined)) {
    problems.push(`${context.key}.tls: certFile and keyFile go together (mTLS)`);
  }
  return problems;
}
