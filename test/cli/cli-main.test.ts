import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/cli.ts';

describe('cli main', () => {
  it('refuses an unknown command with the usage exit code 2', async () => {
    assert.equal(await main(['no-such-command']), 2);
  });
});
