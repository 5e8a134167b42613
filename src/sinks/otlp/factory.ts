import { ConfigError } from '../../config-kit/config-error.ts';
import type { SinkFactory } from '../sink-kinds.ts';
import type { OtlpSinkConfig } from './config.ts';
import { type HeaderValue, readHeaderValue } from './header-value.ts';
import { NO_OTLP_ENV, readOtlpEnv } from './otlp-env.ts';
import { otlpSettings } from './otlp-settings.ts';
import { OtlpSink } from './otlp-sink.ts';

/** Resolves header values given as `{env}` or `{file}`; every header that cannot be read is named at once. */
function resolveHeaders(headers: Record<string, HeaderValue>, env: NodeJS.ProcessEnv, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const read = readHeaderValue(value, env, `${path}.${name}`);
    if ('value' in read) out[name] = read.value;
    else problems.push(read.problem);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** An OTLP sink from its entry; only the first OTLP entry takes the OTEL_EXPORTER_OTLP_* variables. */
export const factory: SinkFactory<OtlpSinkConfig> = (config, context) => {
  const headers = resolveHeaders(config.headers, context.env, `${context.key}.headers`);
  const env = context.firstOfKind ? readOtlpEnv(context.env) : NO_OTLP_ENV;
  return new OtlpSink({ name: config.name, scope: context.scope, ...otlpSettings(config, headers, env) });
};
