import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { INSTRUMENTATION_SCOPE, VERSION } from '../../src/app/version.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

describe('version', () => {
  it('is the package version read from package.json when run from src/ (not the 0.0.0 fallback)', () => {
    assert.equal(VERSION, pkg.version);
    assert.notEqual(VERSION, '0.0.0');
    assert.match(VERSION, /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'a semantic version');
  });

  it('names the instrumentation scope after the package, at the same version', () => {
    assert.deepEqual(INSTRUMENTATION_SCOPE, { name: pkg.name, version: VERSION });
    assert.equal(INSTRUMENTATION_SCOPE.name, 'eventrouter');
  });
});
