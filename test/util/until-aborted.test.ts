import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { untilAborted } from '../../src/util/until-aborted.ts';

/** A promise and the functions that settle it. */
function pending<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets every settled promise's handlers run. */
const turn = () => new Promise((r) => setImmediate(r));

/** Collects the unhandled rejections while `body` runs and a turn after it. */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    await turn();
    await turn();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

describe('untilAborted', () => {
  it("resolves with the work's result while the signal is not aborted", async () => {
    assert.equal(await untilAborted(Promise.resolve(42), new AbortController().signal), 42);
  });

  it("rejects with the work's error while the signal is not aborted", async () => {
    const error = new Error('boom');
    await assert.rejects(untilAborted(Promise.reject(error), new AbortController().signal), (e) => e === error);
  });

  it('resolves with undefined as soon as the signal aborts, without waiting for the work', async () => {
    const work = pending<string>();
    const abort = new AbortController();
    const result = untilAborted(work.promise, abort.signal);
    abort.abort();
    assert.equal(await result, undefined);
    // The work ending later changes nothing.
    work.resolve('late');
    assert.equal(await result, undefined);
  });

  it('ignores a rejection that comes after the abort: no unhandled rejection', async () => {
    const seen = await unhandledDuring(async () => {
      const work = pending<string>();
      const abort = new AbortController();
      const result = untilAborted(work.promise, abort.signal);
      abort.abort();
      assert.equal(await result, undefined);
      work.reject(new Error('late failure'));
    });
    assert.deepEqual(seen, []);
  });

  it('with a signal already aborted resolves undefined at once, and a later rejection of the work goes unreported', async () => {
    const seen = await unhandledDuring(async () => {
      const work = pending<string>();
      const result = untilAborted(work.promise, AbortSignal.abort());
      work.reject(new Error('late failure'));
      assert.equal(await result, undefined);
    });
    assert.deepEqual(seen, []);
  });

  it('leaves no listener on the signal once the work settled: one long-lived signal serves any number of calls', async () => {
    const abort = new AbortController();
    for (let i = 0; i < 100; i++) await untilAborted(Promise.resolve(i), abort.signal);
    await untilAborted(Promise.reject(new Error('x')), abort.signal).catch(() => undefined);
    assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  });
});
