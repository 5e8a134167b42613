import { SINK_KINDS, type SinkConfig, type SinkFactory, type SinkFactoryContext, type SinkKind } from './sink-kinds.ts';
import type { Sink } from './sink.ts';

export type { SinkFactoryContext } from './sink-kinds.ts';

/** Each kind's factory, loaded once when this module is (the kinds' sinks, never their schemas). */
const FACTORIES = Object.fromEntries(
  await Promise.all(Object.entries(SINK_KINDS).map(async ([kind, modules]) => [kind, (await modules.factory()).factory] as const)),
) as Record<SinkKind, SinkFactory<SinkConfig>>;

/**
 * Builds the sinks the config lists. Only the first entry of a kind reads the kind's variables
 * (OTEL_EXPORTER_OTLP_* for OTLP): a second sink must not inherit, say, the first one's auth header.
 */
export function createSinks(configs: readonly SinkConfig[], context: SinkFactoryContext): Sink[] {
  return configs.map((config, index) => createSink(config, context, index, configs.findIndex((other) => other.type === config.type) === index));
}

/** Builds the sink a config entry describes (`index`: its place in `sinks`, for error messages). */
export function createSink(config: SinkConfig, context: SinkFactoryContext, index = 0, firstOfKind = false): Sink {
  const { stdout, ...rest } = context;
  return FACTORIES[config.type](config, {
    ...rest,
    ...(stdout ? { stdout: stdout as NodeJS.WritableStream & import('node:stream').Writable } : {}),
    key: `sinks[${index}]`,
    firstOfKind,
  });
}
