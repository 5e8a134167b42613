import type { InstrumentationScope } from '@opentelemetry/core';
import type { SinkConfig } from '../config/schema.ts';
import { ConfigError } from '../config/config-error.ts';
import { type HeaderValue, readHeaderValue } from '../config/header-value.ts';
import { NO_OTLP_ENV, readOtlpEnv } from '../config/otlp-env.ts';
import { otlpSettings } from './otlp/otlp-settings.ts';
import { OtlpSink } from './otlp/otlp-sink.ts';
import type { Sink } from './sink.ts';
import { StdoutSink } from './stdout/stdout-sink.ts';

export interface SinkFactoryContext {
  scope: InstrumentationScope;
  /** Where header `{env}` values and, for the first OTLP sink only, the OTEL_EXPORTER_OTLP_* variables are read. */
  env: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
}

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

/**
 * Builds the sinks the config lists. Only the first OTLP sink takes the OTEL_EXPORTER_OTLP_*
 * variables: a second sink must not inherit, say, the first one's auth header.
 */
export function createSinks(configs: readonly SinkConfig[], context: SinkFactoryContext): Sink[] {
  const firstOtlp = configs.findIndex((sink) => sink.type === 'otlp');
  return configs.map((config, index) => createSink(config, context, index, index === firstOtlp));
}

/** Builds the sink a config entry describes (`index`: its place in `sinks`, for error messages). */
export function createSink(config: SinkConfig, context: SinkFactoryContext, index = 0, useOtlpEnv = false): Sink {
  switch (config.type) {
    case 'otlp': {
      const headers = resolveHeaders(config.headers, context.env, `sinks[${index}].headers`);
      const env = useOtlpEnv ? readOtlpEnv(context.env) : NO_OTLP_ENV;
      return new OtlpSink({ name: config.name, scope: context.scope, ...otlpSettings(config, headers, env) });
    }
    case 'stdout':
      return new StdoutSink({
        name: config.name,
        format: config.format,
        ...(context.stdout ? { stream: context.stdout as NodeJS.WritableStream & import('node:stream').Writable } : {}),
      });
  }
}
