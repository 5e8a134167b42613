import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileGlob, globMatcher, matchGlob } from '../../src/util/glob.ts';

/** The reference: the glob as an anchored regular expression (fine for short, random inputs). */
function viaRegex(glob: string, value: string): boolean {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`).test(value);
}

describe('glob matcher', () => {
  it('matches * as any run and ? as one character, anchored at both ends', () => {
    assert.equal(matchGlob('kube-*', 'kube-system'), true);
    assert.equal(matchGlob('kube-*', 'xkube-system'), false);
    assert.equal(matchGlob('*-controller', 'replicaset-controller'), true);
    assert.equal(matchGlob('web-?', 'web-1'), true);
    assert.equal(matchGlob('web-?', 'web-12'), false);
    assert.equal(matchGlob('*', ''), true);
    assert.equal(matchGlob('', ''), true);
    assert.equal(matchGlob('', 'a'), false);
    assert.equal(matchGlob('a.b', 'axb'), false, 'a dot is literal');
    for (const [glob, value, expected] of [['kube-*', 'kube-system', true], ['*-controller', 'x-controller', true], ['a*b*c', 'abc', true], ['a*b*c', 'acb', false], ['ab*ba', 'aba', false], ['exact', 'exact', true], ['*', '', true]] as const) {
      assert.equal(compileGlob(glob)(value), expected, `${glob} ~ ${value}`);
    }
  });

  it('agrees with the regular-expression reading of a glob on random input', () => {
    const alphabet = fc.constantFrom('a', 'b', '-', '*', '?', '.');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '-', '.'), maxLength: 12 }), (glob, value) => {
        const expected = viaRegex(glob, value);
        assert.equal(matchGlob(glob, value), expected);
        assert.equal(compileGlob(glob)(value), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers a many-star glob against 5,000 dashes (exponential for a backtracking regex)', () => {
    const dashes = '-'.repeat(5000);
    assert.equal(matchGlob('*-*-*-*-*-controller', dashes), false);
    assert.equal(matchGlob('*-*-*-*-*-controller', `${dashes}controller`), true);
    assert.equal(compileGlob('*-*-*-*-*-controller')(dashes), false);
    assert.equal(compileGlob('*-*-*-*-*-controller')(`${dashes}controller`), true);
    assert.equal(compileGlob('*-?-*-controller')(dashes), false);
  });

  it('matches any glob of a list, and nothing for an empty list', () => {
    assert.equal(globMatcher([]), undefined);
    const match = globMatcher(['app.kubernetes.io/*', 'team']);
    assert.equal(match?.('app.kubernetes.io/name'), true);
    assert.equal(match?.('team'), true);
    assert.equal(match?.('teams'), false);
  });
});
