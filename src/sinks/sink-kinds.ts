import type { InstrumentationScope } from '@opentelemetry/core';
import type { Writable } from 'node:stream';
import type { SinkEntry, SinkKindConfig } from './config.ts';
import type { Sink } from './sink.ts';

/**
 * Every sink kind, by the name its entries' `type` takes: its folder's `config.ts` (its keys,
 * defaults and descriptions; src/config/schema.ts composes them) and `factory.ts` (builds the
 * sink from a validated entry). Adding a kind is its folder and one line here (README,
 * "Adding a sink kind"). Both halves load on demand, so that the config worker, which loads
 * the configs, never loads a sink, and the router, which loads the factories, never loads the
 * schema library (bench/README.md, "At rest").
 */
export const SINK_KINDS = {
  otlp: { config: () => import('./otlp/config.ts'), factory: () => import('./otlp/factory.ts') },
  stdout: { config: () => import('./stdout/config.ts'), factory: () => import('./stdout/factory.ts') },
} satisfies Record<string, SinkKindModules>;

export type SinkKind = keyof typeof SINK_KINDS;

/** What the sinks of a config are built with. */
export interface SinkFactoryContext {
  scope: InstrumentationScope;
  /** Where header `{env}` values and, for the first entry of a kind only, the kind's variables (OTEL_EXPORTER_OTLP_*) are read. */
  env: NodeJS.ProcessEnv;
  /** The stdout sinks' stream; default process.stdout. */
  stdout?: NodeJS.WritableStream;
}

/** What a kind's factory knows besides the entry. */
export interface SinkKindContext extends Omit<SinkFactoryContext, 'stdout'> {
  stdout?: NodeJS.WritableStream & Writable;
  /** The entry's key path (`sinks[1]`), for messages. */
  key: string;
  /** The first entry of its kind: the one that reads the kind's environment variables (a second sink must not inherit, say, the first one's auth header). */
  firstOfKind: boolean;
}

/** Builds a sink from its validated entry; throws a ConfigError naming the key for what only start-up can tell. */
export type SinkFactory<Config> = (config: Config, context: SinkKindContext) => Sink;

/** The two halves of a kind, as its folder exports them. */
interface SinkKindModules {
  // `any`: each kind's factory takes its own entry type; SinkConfig below ties them together.
  config: () => Promise<{ config: SinkKindConfig<any> }>;
  factory: () => Promise<{ factory: SinkFactory<any> }>;
}

/** A sink entry of kind `K`, as the schema outputs it. */
export type SinkConfigOf<K extends SinkKind> =
  Awaited<ReturnType<(typeof SINK_KINDS)[K]['config']>>['config'] extends SinkKindConfig<infer Shape> ? SinkEntry<K, Shape> : never;

/** Any sink entry, as the schema outputs it: one of the kinds, told apart by `type`. */
export type SinkConfig = { [K in SinkKind]: SinkConfigOf<K> }[SinkKind];
