import { z } from 'zod';
import type { SinkEntry, SinkKindConfig } from '../config.ts';

/** The stdout sink kind's own keys. */
export const stdoutSinkShape = {
  format: z
    .enum(['json', 'classic'])
    .default('json')
    .describe('stdout: json (one object per record) or classic (the heptio eventrouter {"verb","event","old_event"} line).'),
};

export type StdoutSinkConfig = SinkEntry<'stdout', typeof stdoutSinkShape>;

export const config: SinkKindConfig<typeof stdoutSinkShape> = { shape: stdoutSinkShape };
