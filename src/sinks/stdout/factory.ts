import type { SinkFactory } from '../sink-kinds.ts';
import type { StdoutSinkConfig } from './config.ts';
import { StdoutSink } from './stdout-sink.ts';

/** A stdout sink from its entry (the stream: the context's, else process.stdout). */
export const factory: SinkFactory<StdoutSinkConfig> = (config, context) =>
  new StdoutSink({ name: config.name, format: config.format, ...(context.stdout ? { stream: context.stdout } : {}) });
