import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { config, stdoutSinkShape } from '../../../src/sinks/stdout/config.ts';
import { sinkCommonShape } from '../../../src/sinks/config.ts';
import { problems, undescribedKeys } from '../../support/schema-probe.ts';

/** A stdout entry as the root schema composes it: the common keys, `type`, the kind's own. */
const entrySchema = z.object({ ...sinkCommonShape, type: z.literal('stdout'), ...config.shape }).strict();

describe('stdout sink config', () => {
  it('exports its own keys as the kind config, with nothing to check beyond the schema', () => {
    assert.equal(config.shape, stdoutSinkShape);
    assert.deepEqual(Object.keys(config.shape), ['format']);
    assert.equal(config.problems, undefined);
    assert.equal(config.envProblems, undefined);
  });

  it('writes JSON by default, or the classic eventrouter line', () => {
    assert.equal(entrySchema.parse({ name: 'out', type: 'stdout' }).format, 'json');
    assert.equal(entrySchema.parse({ name: 'out', type: 'stdout', format: 'classic' }).format, 'classic');
  });

  it('refuses another format and the keys of another kind, by their keys', () => {
    assert.deepEqual(problems(entrySchema, { name: 'out', type: 'stdout', format: 'text', endpoint: 'http://x' }), [
      'format: Invalid option: expected one of "json"|"classic"',
      'endpoint: unknown key',
    ]);
  });

  it('describes its key', () => {
    assert.deepEqual(undescribedKeys(z.object(config.shape)), []);
  });
});
