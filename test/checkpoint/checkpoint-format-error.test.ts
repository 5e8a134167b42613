import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointFormatError } from '../../src/checkpoint/checkpoint-format-error.ts';

describe('checkpoint format error', () => {
  it('says where the checkpoint is, what is wrong with it and what to do, in one line', () => {
    const error = new CheckpointFormatError('/var/lib/eventrouter/checkpoint.json', 'not JSON: Unexpected token', 'fix it, or delete the file to start over');
    assert.equal(
      error.message,
      '/var/lib/eventrouter/checkpoint.json holds no readable eventrouter checkpoint (not JSON: Unexpected token); fix it, or delete the file to start over',
    );
    assert.ok(!error.message.includes('\n'));
  });

  it('carries a stable code, its name and the location, and is an Error', () => {
    const error = new CheckpointFormatError('ConfigMap obs/eventrouter-checkpoint (key checkpoint.json)', 'not the shape of a version 1 checkpoint', 'delete it');
    assert.ok(error instanceof Error);
    assert.ok(error instanceof CheckpointFormatError);
    assert.equal(error.code, 'E_CHECKPOINT_INVALID');
    assert.equal(error.name, 'CheckpointFormatError');
    assert.equal(error.location, 'ConfigMap obs/eventrouter-checkpoint (key checkpoint.json)');
    assert.match(String(error), /^CheckpointFormatError: ConfigMap obs\/eventrouter-checkpoint/);
  });
});
