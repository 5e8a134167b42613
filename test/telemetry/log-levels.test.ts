import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_LEVELS, isLogLevel } from '../../src/telemetry/log-levels.ts';

describe('log levels', () => {
  it("takes pino's levels and silent", () => {
    assert.deepEqual([...LOG_LEVELS], ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
    for (const level of LOG_LEVELS) assert.equal(isLogLevel(level), true, level);
  });

  it('refuses anything else, which pino would throw at: other spellings, other case, empty, inherited names', () => {
    for (const level of ['warning', 'INFO', 'Info', ' info', '', 'constructor', 'toString', '10']) assert.equal(isLogLevel(level), false, JSON.stringify(level));
  });
});
