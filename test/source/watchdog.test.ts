import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Watchdog } from '../../src/source/watchdog.ts';
import { SILENCE, scriptedStream } from '../support/scripted-stream.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const TIMEOUT_MS = 10;

/**
 * Resolves once a timer of `ms`, armed now, has fired. Node runs timers of one length in the
 * order they were armed, so by then a watchdog of `ms` armed (or re-armed) earlier has come due:
 * a condition, not a guess at how long is long enough.
 */
function dueAfter(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('watchdog', () => {
  it('ends a stream that goes silent', async () => {
    const stream = new AbortController();
    const watchdog = new Watchdog(TIMEOUT_MS, () => stream.abort());
    const received: string[] = [];
    let ended = false;
    void (async () => {
      for await (const chunk of scriptedStream(['{"a":1}\n', '{"b":2}\n', SILENCE], stream.signal)) {
        received.push(new TextDecoder().decode(chunk));
        watchdog.kick();
      }
      ended = true;
    })();
    await waitFor(() => ended, 'the silent stream to be ended', 10_000);
    watchdog.stop();
    assert.equal(watchdog.fired, true);
    assert.deepEqual(received, ['{"a":1}\n', '{"b":2}\n']);
  });

  it('keeps one timer for the stream, however many chunks it re-arms for', () => {
    const setTimeoutSpy = mock.method(globalThis, 'setTimeout');
    try {
      const watchdog = new Watchdog(60_000, () => {});
      for (let i = 0; i < 10_000; i++) {
        watchdog.pause();
        watchdog.kick();
      }
      watchdog.stop();
      assert.equal(setTimeoutSpy.mock.callCount(), 1);
    } finally {
      setTimeoutSpy.mock.restore();
    }
  });

  it('re-arms no timer per chunk: a kick only records the time', () => {
    const probe = setTimeout(() => {}, 0);
    const timeout = Object.getPrototypeOf(probe) as { refresh: () => unknown };
    clearTimeout(probe);
    const refresh = mock.method(timeout, 'refresh');
    const setTimeoutSpy = mock.method(globalThis, 'setTimeout');
    try {
      const watchdog = new Watchdog(60_000, () => {});
      for (let i = 0; i < 10_000; i++) watchdog.kick();
      watchdog.stop();
      assert.equal(refresh.mock.callCount(), 0);
      assert.equal(setTimeoutSpy.mock.callCount(), 1);
    } finally {
      refresh.mock.restore();
      setTimeoutSpy.mock.restore();
    }
  });

  it('fires the timeout after the last kick, not after the first', async () => {
    let fired = 0;
    const watchdog = new Watchdog(40, () => (fired += 1));
    const started = Date.now();
    // Kicks for 100 ms, well past the timeout: the watchdog must not fire meanwhile.
    while (Date.now() - started < 100) {
      watchdog.kick();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(fired, 0);
    await waitFor(() => watchdog.fired, 'the watchdog to fire once the kicks stop', 10_000);
    watchdog.stop();
    assert.equal(fired, 1);
  });

  it('does not fire while paused, however long the pipeline pushes back', async () => {
    let fired = 0;
    const watchdog = new Watchdog(TIMEOUT_MS, () => (fired += 1));
    watchdog.pause();
    for (let period = 0; period < 3; period++) await dueAfter(TIMEOUT_MS);
    watchdog.stop();
    assert.equal(watchdog.fired, false);
    assert.equal(fired, 0);
  });

  it('fires once the stream is read again and then stays silent', async () => {
    let fired = 0;
    const watchdog = new Watchdog(TIMEOUT_MS, () => (fired += 1));
    watchdog.pause();
    await dueAfter(TIMEOUT_MS);
    watchdog.kick();
    await waitFor(() => watchdog.fired, 'the watchdog to fire', 10_000);
    watchdog.stop();
    assert.equal(fired, 1);
  });

  it('never fires after it is stopped', async () => {
    let fired = 0;
    const watchdog = new Watchdog(TIMEOUT_MS, () => (fired += 1));
    watchdog.stop();
    watchdog.kick();
    await dueAfter(TIMEOUT_MS);
    assert.equal(watchdog.fired, false);
    assert.equal(fired, 0);
  });
});
