import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../src/util/sleep.ts';

describe('sleep', () => {
  it('resolves after its delay', async () => {
    let done = false;
    const waiting = sleep(30).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'resolved before its delay');
    await waiting;
    assert.equal(done, true);
  });

  it('resolves, without throwing, when its signal aborts, however long the delay', async () => {
    const controller = new AbortController();
    const waiting = sleep(3_600_000, controller.signal);
    controller.abort();
    await waiting;
    await sleep(3_600_000, AbortSignal.abort());
  });
});
