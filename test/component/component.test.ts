import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Component, LoopComponent, shutdownAll, startAll } from '../../src/component/component.ts';

/** A component that records its calls in `log`; `failStart` makes its start reject. */
function recording(name: string, log: string[], failStart = false): Component {
  return {
    start: async () => {
      log.push(`start ${name}`);
      if (failStart) throw new Error(`${name} cannot start`);
    },
    shutdown: async () => void log.push(`shutdown ${name}`),
  };
}

describe('component lifecycle', () => {
  it('starts components in the order given', async () => {
    const log: string[] = [];
    await startAll([recording('sink', log), recording('enricher', log), recording('source', log)]);
    assert.deepEqual(log, ['start sink', 'start enricher', 'start source']);
  });

  it('shuts down what it started, last first, when a later component cannot start, and rethrows', async () => {
    const log: string[] = [];
    await assert.rejects(startAll([recording('a', log), recording('b', log), recording('c', log, true), recording('d', log)]), /c cannot start/);
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'shutdown b', 'shutdown a']);
  });

  it('shuts every component down even when one breaks the contract and rejects', async () => {
    const log: string[] = [];
    const broken: Component = { start: async () => {}, shutdown: async () => Promise.reject(new Error('boom')) };
    await shutdownAll([recording('source', log), broken, recording('sink', log)]);
    assert.deepEqual(log, ['shutdown source', 'shutdown sink']);
  });
});

/** A LoopComponent whose loop and error handling the test gives. */
class BackgroundLoop extends LoopComponent {
  readonly #loop: (signal: AbortSignal) => Promise<void>;
  readonly #failed: (error: Error) => void;
  constructor(loop: (signal: AbortSignal) => Promise<void>, failed: (error: Error) => void) {
    super();
    this.#loop = loop;
    this.#failed = failed;
  }
  protected loop(signal: AbortSignal): Promise<void> {
    return this.#loop(signal);
  }
  protected loopFailed(error: Error): void {
    this.#failed(error);
  }
}

describe('LoopComponent', () => {
  it('runs the loop once however often it is started, and shutdown aborts it and waits for its end', async () => {
    let runs = 0;
    let ended = false;
    const loop = new BackgroundLoop(
      async (signal) => {
        runs += 1;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        ended = true;
      },
      () => assert.fail('no error expected'),
    );
    await loop.start();
    await loop.start();
    assert.equal(runs, 1);
    assert.equal(ended, false);
    await loop.shutdown();
    assert.equal(ended, true, 'shutdown resolves after the loop ended');
    await loop.shutdown();
    await loop.start();
    assert.equal(runs, 1, 'a shut-down loop does not start again');
  });

  it('never runs a loop shut down before it started', async () => {
    let runs = 0;
    const loop = new BackgroundLoop(async () => void (runs += 1), () => {});
    await loop.shutdown();
    await loop.start();
    await loop.done;
    assert.equal(runs, 0);
  });

  it('reports a loop that throws instead of leaving a rejected promise behind', async () => {
    const errors: string[] = [];
    const loop = new BackgroundLoop(async () => Promise.reject(new Error('lost the API server')), (error) => errors.push(error.message));
    await loop.start();
    await loop.done;
    assert.deepEqual(errors, ['lost the API server']);
    await loop.shutdown();
  });
});
