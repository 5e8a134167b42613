import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { headerValueSchema } from './config.ts';

/** A header value as configured: literal, or `{env}` / `{file}` so that secrets stay out of the config. */
export type HeaderValue = z.output<typeof headerValueSchema>;

/**
 * The value a header has at start-up, or why it has none (`key`: its config path, for the
 * message). `config check` and start-up ask the same question, so they cannot disagree.
 */
export function readHeaderValue(value: HeaderValue, env: NodeJS.ProcessEnv, key: string): { value: string } | { problem: string } {
  if (typeof value === 'string') return { value };
  if ('env' in value) {
    const found = env[value.env];
    return found === undefined ? { problem: `${key}.env: environment variable ${value.env} is not set` } : { value: found };
  }
  try {
    return { value: readFileSync(value.file, 'utf8').trim() };
  } catch (error) {
    return { problem: `${key}.file: cannot read ${value.file}: ${(error as Error).message}` };
  }
}
