import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../src/checkpoint/ack-tracker.ts';

describe('ack tracker', () => {
  it('starts from the resourceVersion it resumes from', () => {
    assert.equal(new AckTracker('100').committed, '100');
    assert.equal(new AckTracker().committed, undefined);
  });

  it('commits an entry once every sink it went to has acknowledged it', () => {
    const tracker = new AckTracker('100');
    const entry = tracker.add('101', 2);
    tracker.ack(entry);
    assert.equal(tracker.committed, '100');
    tracker.ack(entry);
    assert.equal(tracker.committed, '101');
  });

  it('waits for each acknowledgement expected after the entry was added, and says which acknowledgement was the last', () => {
    const tracker = new AckTracker('100');
    const entry = tracker.add('101', 1);
    tracker.expect(entry);
    tracker.expect(entry);
    assert.equal(entry.pending, 3);
    assert.equal(tracker.ack(entry), false);
    assert.equal(tracker.ack(entry), false);
    assert.equal(tracker.committed, '100');
    assert.equal(tracker.ack(entry), true);
    assert.equal(tracker.committed, '101');
  });

  it('commits at once an entry that went to no sink', () => {
    const tracker = new AckTracker('100');
    tracker.add('101', 0);
    assert.equal(tracker.committed, '101');
    assert.equal(tracker.size, 0);
  });

  it('never moves the cursor past an unacknowledged entry when later ones are acknowledged first', () => {
    const tracker = new AckTracker('100');
    const first = tracker.add('101', 1);
    const second = tracker.add('102', 1);
    const third = tracker.add('103', 1);
    tracker.ack(third);
    tracker.ack(second);
    assert.equal(tracker.committed, '100');
    assert.equal(tracker.size, 3);
    tracker.ack(first);
    assert.equal(tracker.committed, '103');
    assert.equal(tracker.size, 0);
  });

  it('stops at the first gap: acknowledging the middle of three moves the cursor over the first only', () => {
    const tracker = new AckTracker('100');
    const first = tracker.add('101', 1);
    const second = tracker.add('102', 1);
    tracker.add('103', 1);
    tracker.ack(second);
    tracker.ack(first);
    assert.equal(tracker.committed, '102');
    assert.equal(tracker.size, 1);
  });

  it('keeps the cursor on the last entry that carries a resourceVersion when list entries (none) are acknowledged', () => {
    const tracker = new AckTracker('100');
    const listed = tracker.add(undefined, 1);
    tracker.ack(listed);
    assert.equal(tracker.committed, '100');
    assert.equal(tracker.size, 0);
  });

  it('records how far an unfinished list got, and clears it when the list\'s cursor commits', () => {
    const tracker = new AckTracker();
    const page = tracker.add(undefined, 1, Date.now(), { resourceVersion: '500', after: 'default/b' });
    const end = tracker.add('500', 1);
    tracker.ack(page);
    assert.deepEqual(tracker.listProgress, { resourceVersion: '500', after: 'default/b' });
    tracker.ack(end);
    assert.equal(tracker.committed, '500');
    assert.equal(tracker.listProgress, undefined);
  });

  it('reports each move of the cursor to onCommit, in order', () => {
    const commits: string[] = [];
    const tracker = new AckTracker('100', (rv) => commits.push(rv));
    const first = tracker.add('101', 1);
    const second = tracker.add('102', 1);
    tracker.ack(second);
    assert.deepEqual(commits, []);
    tracker.ack(first);
    assert.deepEqual(commits, ['102']);
  });

  it('reports the receipt time of the oldest unacknowledged entry', () => {
    const tracker = new AckTracker();
    const first = tracker.add('1', 1, 1_000);
    tracker.add('2', 1, 2_000);
    assert.equal(tracker.oldestPendingAt, 1_000);
    tracker.ack(first);
    assert.equal(tracker.oldestPendingAt, 2_000);
  });

  it('waitBelow resolves once fewer entries than the limit are outstanding', async () => {
    const tracker = new AckTracker();
    const entries = [tracker.add('1', 1), tracker.add('2', 1), tracker.add('3', 1)];
    let resolved = false;
    const waiting = tracker.waitBelow(2).then(() => (resolved = true));
    tracker.ack(entries[0]!);
    await Promise.resolve();
    assert.equal(resolved, false, 'two outstanding: not below two');
    tracker.ack(entries[1]!);
    await waiting;
    assert.equal(tracker.size, 1);
  });

  it('commits the right cursor across many out-of-order acknowledgements (compaction of its entry list included)', () => {
    const tracker = new AckTracker('0');
    const entries = Array.from({ length: 5_000 }, (_, i) => tracker.add(String(i + 1), 1));
    // Acknowledge in reverse blocks of 100: within a block the last one goes first.
    for (let block = 0; block < 50; block++) {
      for (let i = 99; i >= 0; i--) tracker.ack(entries[block * 100 + i]!);
      assert.equal(tracker.committed, String((block + 1) * 100));
    }
    assert.equal(tracker.size, 0);
  });

  it("holds a record's place and bytes: its bytes go back once, with its last acknowledgement, and the cursor passes it then", () => {
    const released: number[] = [];
    const tracker = new AckTracker('100');
    const first = tracker.hold('101', 700, (bytes) => released.push(bytes));
    const second = tracker.hold('102', 900, (bytes) => released.push(bytes));
    assert.equal(tracker.size, 2);
    first.expect(); // queued for a required sink
    second.expect();
    second.done(); // the pipeline's own hold
    second.done(); // the sink acknowledged
    assert.deepEqual(released, [900]);
    assert.equal(tracker.committed, '100', 'the cursor waits for the record before it');
    first.done();
    assert.deepEqual(released, [900]);
    first.done();
    assert.deepEqual(released, [900, 700]);
    assert.equal(tracker.committed, '102');
    assert.equal(tracker.size, 0);
  });

  it('keeps receipt times exactly, whether near its start, long before it or far after', () => {
    const tracker = new AckTracker();
    const times = [tracker.epoch, tracker.epoch + 1, 1_000, tracker.epoch + 40 * 86_400_000, 0];
    const entries = times.map((t) => tracker.add(undefined, 1, t));
    assert.deepEqual(entries.map((e) => e.receivedAt), times);
    const before = Date.now();
    const held = tracker.hold('1', 1, () => {});
    assert.ok(held !== undefined && tracker.oldestPendingAt === tracker.epoch);
    for (const e of entries) tracker.ack(e);
    assert.ok((tracker.oldestPendingAt ?? 0) >= before && (tracker.oldestPendingAt ?? 0) <= Date.now());
  });
});
