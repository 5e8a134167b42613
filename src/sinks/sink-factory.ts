import type { InstrumentationScope } from '@opentelemetry/core';
import type { SinkConfig } from '../config/schema.ts';
import { OtlpSink } from './otlp/otlp-sink.ts';
import type { Sink } from './sink.ts';
import { StdoutSink } from './stdout/stdout-sink.ts';

export interface SinkFactoryContext {
  scope: InstrumentationScope;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
}

/** Builds the sink a config entry describes. */
export function createSink(config: SinkConfig, context: SinkFactoryContext): Sink {
  switch (config.type) {
    case 'otlp':
      return new OtlpSink({
        name: config.name,
        ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
        ...(config.protocol !== undefined ? { protocol: config.protocol } : {}),
        headers: config.headers,
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
