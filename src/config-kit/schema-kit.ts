import { z } from 'zod';
import { DURATION_PATTERN, durationOrPattern, parseDuration } from '../util/duration.ts';
import { patternProblem } from '../util/pattern.ts';
import { LISTEN_HINT, parseListen } from './addresses.ts';

/*
 * The building blocks of every component's config schema (src/<component>/config.ts). A leaf
 * folder: the components import it, and src/config/ composes their schemas, so neither imports
 * the other's folder back. Only the config worker, `config schema|reference` and the Helm
 * generator load these modules: the router's own isolate never loads the schema library.
 */

/** Milliseconds from a Go-style duration string (`15s`, `10m`, `1h30m`), or a problem for `config check`. */
export function toMs(text: string, ctx: z.RefinementCtx<string>): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (use e.g. 500ms, 15s, 10m, 1h30m)` });
    return z.NEVER;
  }
  return ms;
}

/**
 * A number where a duration belongs (`timeout: 10`) would be reported as "expected string,
 * received number": say what to write instead (10 what? YAML cannot tell).
 */
const durationType = (expected: string) => (issue: { code?: string; input?: unknown }) =>
  issue.code === 'invalid_type' && issue.input !== undefined ? `expected ${expected} (a string with a unit: ms, s, m, h), not ${JSON.stringify(issue.input)}` : undefined;

/** A duration key turned into milliseconds, with its pattern in the JSON Schema so editors and `helm install` refuse what start-up would. */
export const durationText = () => z.string({ error: durationType('a duration such as 10s') }).meta({ pattern: DURATION_PATTERN });

/** A duration key with a default (`fallback`: as a user writes it, `5m`). */
export const duration = (fallback: string) => durationText().default(fallback).transform(toMs);

/**
 * A duration key with a default that must be above 0 (`why`: what 0 would do). A retry delay of
 * 0 doubles to 0 (retries without pause), a period of 0 spins or is refused by the SDK at start-up,
 * a deadline of 0 fails every time: refused with the key's name, as every other bad value.
 */
export const positiveDuration = (fallback: string, why: string) => duration(fallback).refine((ms) => ms > 0, { error: `must be above 0 (${why})` });

/** `backfill`-style: exactly `word`, or a duration in milliseconds. */
export const durationOr = <W extends string>(word: W, fallback: string) =>
  z
    .string({ error: durationType(`"${word}" or a duration such as 10m`) })
    .meta({ pattern: durationOrPattern(word) })
    .default(fallback)
    .transform((text, ctx): W | number => {
      if (text === word) return word as W;
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `use "${word}" or a duration such as 10m` });
        return z.NEVER;
      }
      return ms;
    });

/** A list of strings, empty by default. */
export const stringList = () => z.array(z.string()).default([]);

/**
 * A glob or a `/regular expression/` (RE2 syntax). Checked here rather than after parsing, so
 * that a bad regular expression is reported together with every other problem of the file.
 */
export const pattern = () =>
  z.string().superRefine((text, ctx) => {
    const problem = patternProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `host:port` of a listening socket, or "" (not served). */
export const listenAddress = () =>
  z.string().refine((v) => v === '' || parseListen(v) !== undefined, { error: (issue) => `"${String(issue.input)}": ${LISTEN_HINT}` });
