import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { installSignalHandlers, nextSignal, onSignal } from '../../src/cli/signals.ts';

/** Sends `signal` to this process and resolves once it was handled (our listener runs after the router's). */
function send(signal: 'SIGTERM' | 'SIGINT'): Promise<void> {
  return new Promise((resolve) => {
    process.once(signal, () => resolve());
    process.kill(process.pid, signal);
  });
}

// One process, one set of handlers: the tests run in order and share them, as the CLI does.
describe('signals', () => {
  before(() => installSignalHandlers());

  it('catches SIGTERM and SIGINT instead of dying by the default action', async () => {
    assert.ok(process.listenerCount('SIGTERM') >= 1 && process.listenerCount('SIGINT') >= 1);
    await send('SIGTERM');
    assert.equal(await nextSignal(), 'SIGTERM', 'still running, and the signal kept for whoever waits');
  });

  it('hands a signal to whoever already waits for it', async () => {
    const waiting = nextSignal();
    await send('SIGINT');
    assert.equal(await waiting, 'SIGINT');
  });

  it('remembers signals that arrive before anyone waits (while the modules load), in order, each once', async () => {
    await send('SIGINT');
    await send('SIGTERM');
    assert.equal(await nextSignal(), 'SIGINT');
    assert.equal(await nextSignal(), 'SIGTERM');
    const none = Symbol('none');
    const next = await Promise.race([nextSignal(), new Promise((resolve) => setImmediate(() => resolve(none)))]);
    assert.equal(next, none, 'nothing left over');
    // That waiter takes the next signal: give it one, so the next test starts clean.
    await send('SIGTERM');
  });

  it('onSignal calls its handler on every later signal', async () => {
    const seen: string[] = [];
    onSignal((signal) => seen.push(signal));
    await send('SIGTERM');
    await send('SIGINT');
    await send('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['SIGTERM', 'SIGINT', 'SIGTERM']);
  });
});
