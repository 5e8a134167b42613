import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderTerms, type TermWork } from '../../src/leader/leader-terms.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/** A promise with its resolve exposed. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One term's work, recording what the terms ask of it; its stop ends when the test says or the cut aborts. */
class FakeWork implements TermWork {
  static made: FakeWork[] = [];
  readonly id = FakeWork.made.length + 1;
  readonly log: string[];
  readonly started = deferred();
  readonly stopping = deferred<{ drained: boolean }>();
  /** Resolves when the terms ask this work to stop. */
  readonly stopCalled = deferred();
  stopArgs: { deadlineMs: number; cut: AbortSignal } | undefined;
  startError: Error | undefined;
  constructor(log: string[], autoStart = true) {
    this.log = log;
    FakeWork.made.push(this);
    if (autoStart) this.started.resolve();
  }
  async start(): Promise<void> {
    this.log.push(`start ${this.id}`);
    await this.started.promise;
    if (this.startError) throw this.startError;
  }
  stop(deadlineMs: number, cut: AbortSignal): Promise<{ drained: boolean }> {
    this.log.push(`stop ${this.id} within ${deadlineMs}`);
    this.stopArgs = { deadlineMs, cut };
    this.stopCalled.resolve();
    cut.addEventListener('abort', () => this.stopping.resolve({ drained: false }), { once: true });
    return this.stopping.promise;
  }
}

function terms(options: { autoStart?: boolean } = {}) {
  const log: string[] = [];
  const works: FakeWork[] = [];
  const t = new LeaderTerms<FakeWork>({
    begin: () => {
      const work = new FakeWork(log, options.autoStart ?? true);
      works.push(work);
      log.push(`begin ${work.id}`);
      return work;
    },
    onLeading: (leading) => log.push(leading ? 'leading' : 'not leading'),
  });
  return { t, log, works };
}

describe('leader terms', () => {
  it('a term begins on started: fresh work, the leader gauge told, the work started', async () => {
    const { t, log, works } = terms();
    assert.equal(t.current, undefined, 'standby');
    await t.started();
    assert.equal(works.length, 1);
    assert.equal(t.current, works[0]);
    assert.deepEqual(log.map((l) => l.replace(/\d+/, 'N')), ['begin N', 'leading', 'start N']);
  });

  it('a term ends on stopped: not leading any more, drained within the grace the elector gives', async () => {
    const { t, log, works } = terms();
    await t.started();
    const work = works[0]!;
    const ended = t.stopped({ reason: 'renew-deadline', graceMs: 4000 });
    await waitFor(() => work.stopArgs !== undefined, 'the drain to begin');
    assert.equal(t.current, undefined, 'no current term once the drain has begun');
    assert.equal(t.draining, work, 'the term being drained');
    assert.equal(log.at(-2), 'not leading');
    assert.equal(log.at(-1), `stop ${work.id} within 4000`);
    work.stopping.resolve({ drained: true });
    await ended;
    assert.equal(t.draining, undefined);
  });

  it('stopped on standby does nothing', async () => {
    const { t, log } = terms();
    await t.stopped({ reason: 'lost', graceMs: 0 });
    assert.deepEqual(log, []);
  });

  it('a new term begins only after the last one is drained (never two routers at once)', async () => {
    const { t, log, works } = terms();
    await t.started();
    const ended = t.stopped({ reason: 'lost', graceMs: 60_000 });
    const next = t.started();
    await waitFor(() => works[0]?.stopArgs !== undefined, 'the first drain');
    assert.equal(works.length, 1, 'no new term while the last one drains');
    works[0]!.stopping.resolve({ drained: true });
    await ended;
    await next;
    assert.equal(works.length, 2);
    assert.equal(t.current, works[1]);
    assert.deepEqual(log.slice(3).map((l) => l.replace(/ \d+/, ' N')), ['not leading', 'stop N within 60000', 'begin N', 'leading', 'start N']);
  });

  it('shutdown drains the current term within its deadline and says whether it drained', async () => {
    for (const drained of [true, false]) {
      const { t, works } = terms();
      await t.started();
      const shutdown = t.shutdown(30_000);
      await waitFor(() => works[0]?.stopArgs !== undefined, 'the drain');
      assert.equal(works[0]!.stopArgs?.deadlineMs, 30_000);
      works[0]!.stopping.resolve({ drained });
      assert.equal(await shutdown, drained);
    }
  });

  it('shutdown on standby is drained at once, and no term begins after it', async () => {
    const { t, log, works } = terms();
    assert.equal(await t.shutdown(30_000), true);
    await t.started();
    assert.equal(works.length, 0);
    assert.equal(t.current, undefined);
    assert.deepEqual(log, []);
  });

  it('a term still starting when shutdown comes is started, then drained (not left running)', async () => {
    const { t, works } = terms({ autoStart: false });
    const starting = t.started();
    await waitFor(() => works.length === 1, 'the term to begin');
    const shutdown = t.shutdown(30_000);
    assert.equal(works[0]!.stopArgs, undefined, 'no stop while start runs');
    works[0]!.started.resolve();
    await starting;
    await waitFor(() => works[0]!.stopArgs !== undefined, 'the drain');
    works[0]!.stopping.resolve({ drained: true });
    assert.equal(await shutdown, true);
    assert.equal(works.length, 1);
  });

  it('cuts a shutdown drain at the grace the elector gives when the lease is lost meanwhile', async () => {
    const { t, works } = terms();
    await t.started();
    const shutdown = t.shutdown(600_000);
    await waitFor(() => works[0]?.stopArgs !== undefined, 'the drain');
    const cut = works[0]!.stopArgs!.cut;
    assert.equal(cut.aborted, false, 'the drain runs while the elector renews');
    await t.stopped({ reason: 'lost', graceMs: 0 });
    assert.equal(cut.aborted, true);
    assert.equal(await shutdown, false, 'the work stopped at the cut, not drained');
  });

  it('the cut comes at the grace, not before, and not once the drain has ended', async (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    const lost = terms();
    await lost.t.started();
    const shutdown = lost.t.shutdown(600_000);
    await lost.works[0]!.stopCalled.promise;
    const cut = lost.works[0]!.stopArgs!.cut;
    void lost.t.stopped({ reason: 'renew-deadline', graceMs: 5000 });
    context.mock.timers.tick(4999);
    assert.equal(cut.aborted, false, 'before the grace');
    context.mock.timers.tick(1);
    assert.equal(cut.aborted, true, 'at the grace');
    assert.equal(await shutdown, false);

    // A drain that ends within its grace: the timer is cleared, the cut never fires.
    const quick = terms();
    await quick.t.started();
    const ended = quick.t.stopped({ reason: 'renew-deadline', graceMs: 5000 });
    await quick.works[0]!.stopCalled.promise;
    quick.works[0]!.stopping.resolve({ drained: true });
    await ended;
    context.mock.timers.tick(10_000);
    assert.equal(quick.works[0]!.stopArgs!.cut.aborted, false);
  });

  it('a term whose start failed is still drained by the next stop, and later steps still run', async () => {
    const { t, works } = terms({ autoStart: false });
    const starting = t.started();
    await waitFor(() => works.length === 1, 'the term to begin');
    works[0]!.startError = new Error('cannot start');
    works[0]!.started.resolve();
    await assert.rejects(starting, /cannot start/);
    const shutdown = t.shutdown(1000);
    await waitFor(() => works[0]!.stopArgs !== undefined, 'the drain of the failed term');
    works[0]!.stopping.resolve({ drained: true });
    assert.equal(await shutdown, true);
  });
});
