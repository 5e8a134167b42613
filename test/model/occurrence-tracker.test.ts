import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEvent } from '../../src/model/normalize.ts';
import type { NormalizedEvent } from '../../src/model/normalized-event.ts';
import { OccurrenceTracker } from '../../src/model/occurrence-tracker.ts';
import { podEvent } from '../support/harness.ts';

/** One version of an Event: `uid`, `count` and last-seen time as a recorder would set them. */
function version(uid: string, count: number, lastTimestamp = '2024-01-01T00:00:00Z'): NormalizedEvent {
  const base = podEvent({ count, lastTimestamp });
  return normalizeEvent({ ...base, metadata: { ...(base['metadata'] as object), name: `event-${uid}`, uid } });
}

describe('occurrence tracker', () => {
  it('calls the first sighting of an ADDED or listed event new', () => {
    assert.equal(new OccurrenceTracker(100).observe(version('a', 1), true), 'new');
  });

  it('calls a MODIFIED event it has not seen a repeat (it may have been seen before a restart)', () => {
    assert.equal(new OccurrenceTracker(100).observe(version('a', 3), false), 'repeat');
  });

  it('calls a version whose count grew a repeat', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 1), true);
    assert.equal(tracker.observe(version('a', 2), false), 'repeat');
  });

  it('calls a version whose last-seen time moved a repeat, even with the same count', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 1, '2024-01-01T00:00:00Z'), true);
    assert.equal(tracker.observe(version('a', 1, '2024-01-01T00:05:00Z'), false), 'repeat');
  });

  it('calls the same version seen again (a re-list, a re-delivered notification) nothing', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 2), true);
    assert.equal(tracker.observe(version('a', 2), true), 'none');
    assert.equal(tracker.observe(version('a', 2), false), 'none');
  });

  it('calls an older version arriving late nothing, and does not forget the newer one', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 5, '2024-01-01T00:05:00Z'), true);
    assert.equal(tracker.observe(version('a', 3, '2024-01-01T00:03:00Z'), false), 'none');
    assert.equal(tracker.observe(version('a', 5, '2024-01-01T00:05:00Z'), false), 'none');
  });

  it('tells events apart by uid', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 1), true);
    assert.equal(tracker.observe(version('b', 1), true), 'new');
  });

  it('remembers at most its bound of events', () => {
    const tracker = new OccurrenceTracker(100);
    for (let i = 0; i < 1_000; i++) tracker.observe(version(`e${i}`, 1), true);
    assert.equal(tracker.size, 100);
  });

  it('evicts the least recently seen event first; an evicted event seen again counts again (at-least-once)', () => {
    const tracker = new OccurrenceTracker(2);
    tracker.observe(version('a', 1), true);
    tracker.observe(version('b', 1), true);
    tracker.observe(version('a', 1), true); // a is now the most recently seen
    tracker.observe(version('c', 1), true); // evicts b
    assert.equal(tracker.observe(version('a', 1), true), 'none');
    assert.equal(tracker.observe(version('b', 1), true), 'new');
  });

  it('forgets an event on request, so that its next sighting counts again', () => {
    const tracker = new OccurrenceTracker(100);
    tracker.observe(version('a', 1), true);
    tracker.forget(version('a', 1));
    assert.equal(tracker.size, 0);
    assert.equal(tracker.observe(version('a', 1), true), 'new');
  });
});
