import type { InstrumentationScope } from '@opentelemetry/core';
import { readFileSync } from 'node:fs';
import type { SinkConfig } from '../config/schema.ts';
import { ConfigError } from '../config/config-error.ts';
import { OtlpSink } from './otlp/otlp-sink.ts';
import type { Sink } from './sink.ts';
import { StdoutSink } from './stdout/stdout-sink.ts';

export interface SinkFactoryContext {
  scope: InstrumentationScope;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  /** Index of this sink in `sinks` (for error messages). */
  index?: number;
  /** Whether the OTEL_EXPORTER_OTLP_* variables apply: true for the first OTLP sink only. */
  useOtlpEnv?: boolean;
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

/** Builds the sink a config entry describes. */
export function createSink(config: SinkConfig, context: SinkFactoryContext): Sink {
  switch (config.type) {
    case 'otlp':
      return new OtlpSink({
        name: config.name,
        ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
        ...(config.protocol !== undefined ? { protocol: config.protocol } : {}),
        headers: resolveHeaders(config.headers, context.env ?? process.env, `sinks[${context.index ?? 0}].headers`),
        ...(config.tls ? { tls: config.tls } : {}),
        ...(config.insecure !== undefined ? { insecure: config.insecure } : {}),
        useEnv: context.useOtlpEnv ?? true,
        ...(config.compression !== undefined ? { compression: config.compression } : {}),
        timeoutMs: config.timeout,
        scope: context.scope,
        env: context.env ?? process.env,
      });
    case 'stdout':
      return new StdoutSink({
        name: config.name,
        format: config.format,
        ...(context.stdout ? { stream: context.stdout as NodeJS.WritableStream & import('node:stream').Writable } : {}),
      });
  }
}
