import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PATTERN_INPUT, compilePattern, patternProblem } from '../../src/util/pattern.ts';

describe('patterns', () => {
  it('runs a /regex/ with nested quantifiers in linear time (RE2), with the right answer', () => {
    // 4000, not 5000: a field is matched by its first 4096 characters, where `$` would then match.
    const match = compilePattern('/(a+)+$/');
    assert.equal(match(`${'a'.repeat(4000)}b`), false);
    assert.equal(match('xaaa'), true);
  });

  it('keeps RegExp semantics for ordinary regexes: unanchored unless anchored', () => {
    assert.equal(compilePattern('/Back/')('BackOff'), true);
    assert.equal(compilePattern('/^Off/')('BackOff'), false);
    assert.equal(compilePattern('/^(Failed|BackOff)$/')('BackOff'), true);
    assert.equal(compilePattern('/\\d{3}/')('exit 137'), true);
  });

  it('matches only the first 4096 characters of a field', () => {
    const long = `${'x'.repeat(MAX_PATTERN_INPUT)}needle`;
    assert.equal(compilePattern('*needle*')(long), false);
    assert.equal(compilePattern('/needle/')(long), false);
    assert.equal(compilePattern('x*')(long), true);
  });

  it('refuses regexes RE2 cannot run linearly, with a readable reason', () => {
    assert.match(patternProblem('/(?=a)b/') ?? '', /invalid regular expression \/\(\?=a\)b\/ \(RE2 syntax\)/);
    assert.match(patternProblem('/(a/') ?? '', /missing closing \)/);
    assert.equal(patternProblem('/ok.*/'), undefined);
    assert.equal(patternProblem('plain-(glob'), undefined);
  });

  it('names the JavaScript construct RE2 lacks, not RE2\'s own misleading message ("invalid named capture" for a look-behind)', () => {
    const lookbehind = patternProblem('/(?<=kube-)system/') ?? '';
    assert.match(lookbehind, /\(RE2 syntax\): look-behind "\(\?<=…\)" \/ "\(\?<!…\)" is not supported; RE2 has no look-around/);
    assert.match(patternProblem('/a(?!b)/') ?? '', /look-ahead .* is not supported/);
    assert.match(patternProblem('/(a)\\1/') ?? '', /back-reference .* is not supported/);
    assert.match(patternProblem('/a++/') ?? '', /possessive quantifier .* is not supported/);
    // A named group is RE2 syntax: it compiles.
    assert.equal(patternProblem('/(?<name>x)/'), undefined);
  });
});
