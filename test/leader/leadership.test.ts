import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderTerms } from '../../src/leader/leader-terms.ts';
import { AlwaysLeading } from '../../src/leader/leadership.ts';

/** Terms whose work logs its start and stop; `failStart` makes the start reject. */
function terms(log: string[], failStart = false): LeaderTerms<{ start(): Promise<void>; stop(): Promise<{ drained: boolean }> }> {
  return new LeaderTerms({
    begin: () => ({
      start: async () => {
        log.push('start');
        if (failStart) throw new Error('a sink cannot start');
      },
      stop: async () => {
        log.push('stop');
        return { drained: true };
      },
    }),
    onLeading: (leading) => log.push(leading ? 'leading' : 'not leading'),
  });
}

describe('leadership without an election', () => {
  it('leads from its start: one term, begun by start and ended by the terms\' shutdown', async () => {
    const log: string[] = [];
    const t = terms(log);
    const leadership = new AlwaysLeading(() => t.started());
    assert.equal(leadership.isLeader, true);
    await leadership.start();
    assert.deepEqual(log, ['leading', 'start'], 'the term\'s work started before start() resolved');
    assert.notEqual(t.current, undefined);
    assert.equal(await t.shutdown(1000), true);
    await leadership.shutdown();
    assert.deepEqual(log, ['leading', 'start', 'not leading', 'stop']);
  });

  it('rejects its start when the term\'s work cannot start', async () => {
    const log: string[] = [];
    const leadership = new AlwaysLeading(() => terms(log, true).started());
    await assert.rejects(leadership.start(), /a sink cannot start/);
  });
});
