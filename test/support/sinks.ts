import { sinkSchema } from '../../src/config/schema.ts';
import { createSink } from '../../src/sinks/sink-factory.ts';
import type { OtlpSink } from '../../src/sinks/otlp/otlp-sink.ts';

export const TEST_SCOPE = { name: 'eventrouter', version: 'test' };

/**
 * An OTLP sink built as the router builds one, from a config entry (`fields`, as in the YAML)
 * through the schema and the factory; `env` is read as the first OTLP sink's when `useOtlpEnv`.
 */
export function otlpSink(fields: Record<string, unknown>, options: { env?: NodeJS.ProcessEnv; useOtlpEnv?: boolean; scope?: { name: string; version: string } } = {}): OtlpSink {
  const config = sinkSchema.parse({ name: 'otlp', type: 'otlp', ...fields });
  return createSink(config, { scope: options.scope ?? TEST_SCOPE, env: options.env ?? {} }, 0, options.useOtlpEnv ?? false) as OtlpSink;
}
