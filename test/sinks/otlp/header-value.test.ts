import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readHeaderValue } from '../../../src/sinks/otlp/header-value.ts';
import { configProblems } from '../../support/harness.ts';

describe('header values', () => {
  it('reads a literal, an environment variable and a file (trimmed)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'eventrouter-header-')), 'token');
    writeFileSync(file, 'Bearer from-file\n');
    assert.deepEqual(readHeaderValue('x', {}, 'h'), { value: 'x' });
    assert.deepEqual(readHeaderValue({ env: 'TOKEN' }, { TOKEN: 'Bearer from-env' }, 'h'), { value: 'Bearer from-env' });
    assert.deepEqual(readHeaderValue({ file }, {}, 'h'), { value: 'Bearer from-file' });
  });

  it('names the key and the cause when a value cannot be read', () => {
    assert.deepEqual(readHeaderValue({ env: 'TOKEN' }, {}, 'sinks[0].headers.Authorization'), {
      problem: 'sinks[0].headers.Authorization.env: environment variable TOKEN is not set',
    });
    const read = readHeaderValue({ file: '/nonexistent/token' }, {}, 'sinks[0].headers.Authorization');
    assert.ok('problem' in read && read.problem.startsWith('sinks[0].headers.Authorization.file: cannot read /nonexistent/token'));
  });

  it('makes config check report what start-up would refuse: a header file that exists but cannot be read (a directory)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'eventrouter-header-'));
    const problems = configProblems({ sinks: [{ name: 'o', type: 'otlp', endpoint: 'http://127.0.0.1:4318', headers: { Authorization: { file: directory } } }] });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', /^sinks\[0\]\.headers\.Authorization\.file: cannot read /);
  });
});
