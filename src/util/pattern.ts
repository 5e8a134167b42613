import { RE2JS } from 're2js';
import { compileGlob } from './glob.ts';

/** A compiled string condition: a glob (`kube-*`, `?`), or a regular expression written `/.../`. */
export type Pattern = (value: string | undefined) => boolean;

/**
 * Patterns see at most this many leading characters of a field. Both engines are linear, but
 * a field is attacker-controlled (core/v1 Event creation validates little) and every rule runs
 * on every record: the cap bounds the cost of one record whatever it carries.
 */
export const MAX_PATTERN_INPUT = 4096;

function isRegex(pattern: string): boolean {
  return pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/');
}

/**
 * Compiles a pattern; throws with a readable message when a `/regex/` is invalid. Regular
 * expressions use RE2 syntax and a linear-time engine (re2js, pure JS): a rule such as
 * `/(a+)+$/` cannot make a record take exponential time, as it would with RegExp. RE2 has no
 * look-around or back-references; such a rule is refused when the config is loaded.
 */
export function compilePattern(pattern: string): Pattern {
  if (isRegex(pattern)) {
    const regex = RE2JS.compile(pattern.slice(1, -1));
    return (value) => regex.test(cap(value ?? ''));
  }
  const glob = compileGlob(pattern);
  return (value) => glob(cap(value ?? ''));
}

/**
 * JavaScript/PCRE constructs that RE2 does not have, by how they are written. RE2's own message
 * misleads a user who writes JavaScript regular expressions: a look-behind `(?<=a)` is reported
 * as "invalid named capture", since `(?<` opens a named group in RE2.
 */
const UNSUPPORTED: ReadonlyArray<[RegExp, string]> = [
  [/\(\?<[=!]/, 'look-behind "(?<=…)" / "(?<!…)"'],
  [/\(\?[=!]/, 'look-ahead "(?=…)" / "(?!…)"'],
  [/\(\?>/, 'atomic group "(?>…)"'],
  [/\\[1-9]|\\k</, 'back-reference "\\1" / "\\k<name>"'],
  [/[*+?}][+]/, 'possessive quantifier "*+" / "++"'],
];

/** The problem with a pattern, or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  if (!isRegex(pattern)) return undefined;
  try {
    RE2JS.compile(pattern.slice(1, -1));
    return undefined;
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '');
    const construct = UNSUPPORTED.find(([written]) => written.test(pattern))?.[1];
    if (construct !== undefined) {
      return `invalid regular expression ${pattern} (RE2 syntax): ${construct} is not supported; RE2 has no look-around, back-references or possessive quantifiers (it said: ${message})`;
    }
    return `invalid regular expression ${pattern} (RE2 syntax): ${message}`;
  }
}

function cap(value: string): string {
  return value.length > MAX_PATTERN_INPUT ? value.slice(0, MAX_PATTERN_INPUT) : value;
}
