import type { InstrumentationScope } from '@opentelemetry/core';
import { readFileSync } from 'node:fs';
import type { SinkConfig } from '../config/schema.ts';
import { ConfigError } from '../config/config-error.ts';
import { NO_OTLP_ENV, readOtlpEnv } from './otlp/otlp-env.ts';
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

type HeaderValue = Extract<SinkConfig, { type: 'otlp' }>['headers'][string];

/** Resolves header values given as `{env}` or `{file}` (secrets stay out of the config). */
export function resolveHeaders(headers: Record<string, HeaderValue>, env: NodeJS.ProcessEnv, path = 'headers'): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name] = value;
    else if ('env' in value) {
      const v = env[value.env];
      if (v === undefined) problems.push(`${path}.${name}.env: environment variable ${value.env} is not set`);
      else out[name] = v;
    } else {
      try {
        out[name] = readFileSync(value.file, 'utf8').trim();
      } catch (error) {
        problems.push(`${path}.${name}.file: cannot read ${value.file}: ${(error as Error).message}`);
      }
    }
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
