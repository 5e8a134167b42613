import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { OccurrenceStage } from '../../src/pipeline/occurrence-stage.ts';
import type { EventItem } from '../../src/pipeline/stage.ts';
import { podEvent } from '../support/harness.ts';

type Emit = ConstructorParameters<typeof OccurrenceStage>[0]['emit'];
type Notification = EventItem['notification'];

function stage(emit: Partial<Emit> = {}, keepRaw = false, maxBodyLength?: number) {
  return new OccurrenceStage({
    emit: { added: true, modified: 'occurrence', deleted: false, ...emit },
    dedupeCacheSize: 100,
    map: maxBodyLength === undefined ? {} : { maxBodyLength },
    keepRaw,
  });
}

const item = (notification: Notification, raw: Record<string, unknown>): EventItem => ({ kind: 'event', notification, event: normalizeEvent(raw), raw, resourceVersion: undefined });

/** The same Event at a later count (a repeat the kubelet aggregated). */
const repeated = (raw: Record<string, unknown>, count: number) => ({ ...raw, count, lastTimestamp: `2024-01-01T00:0${count}:00Z` });

describe('occurrence stage', () => {
  it('maps the first sighting of an event (ADDED or LISTED) to an ADDED record', () => {
    const s = stage();
    const added = s.toRecord(item('ADDED', podEvent({ reason: 'Pulled' })));
    assert.equal(added?.verb, 'ADDED');
    assert.equal(added?.event.reason, 'Pulled');
    assert.equal(s.toRecord(item('LISTED', podEvent()))?.verb, 'ADDED');
  });

  it('drops an event seen again unchanged (a re-list, a replayed notification), whatever the notification', () => {
    const raw = podEvent();
    const s = stage({ modified: 'occurrence' });
    assert.notEqual(s.toRecord(item('LISTED', raw)), undefined);
    assert.equal(s.toRecord(item('LISTED', raw)), undefined);
    assert.equal(s.toRecord(item('ADDED', raw)), undefined);
    assert.equal(s.toRecord(item('MODIFIED', raw)), undefined);
  });

  it('maps a repeat (count or last-seen time moved) to an UPDATED record, listed or modified', () => {
    const raw = podEvent();
    const s = stage();
    s.toRecord(item('ADDED', raw));
    assert.equal(s.toRecord(item('MODIFIED', repeated(raw, 2)))?.verb, 'UPDATED');
    assert.equal(s.toRecord(item('LISTED', repeated(raw, 3)))?.verb, 'UPDATED');
  });

  it('with emit.added off exports no first sighting, but still its repeats', () => {
    const raw = podEvent();
    const s = stage({ added: false });
    assert.equal(s.toRecord(item('ADDED', raw)), undefined);
    assert.equal(s.toRecord(item('MODIFIED', repeated(raw, 2)))?.verb, 'UPDATED');
  });

  it('with emit.modified all exports every MODIFIED, a repeat or not; with none, no MODIFIED at all', () => {
    const raw = podEvent();
    const all = stage({ modified: 'all' });
    all.toRecord(item('ADDED', raw));
    assert.equal(all.toRecord(item('MODIFIED', raw))?.verb, 'UPDATED');
    const none = stage({ modified: 'none' });
    none.toRecord(item('ADDED', raw));
    assert.equal(none.toRecord(item('MODIFIED', repeated(raw, 2))), undefined);
    // A repeat listed after a restart is still one.
    assert.equal(none.toRecord(item('LISTED', repeated(raw, 3)))?.verb, 'UPDATED');
  });

  it('a MODIFIED of an event it never saw is a repeat (it was created before the router watched)', () => {
    assert.equal(stage().toRecord(item('MODIFIED', podEvent()))?.verb, 'UPDATED');
  });

  it('exports DELETED only with emit.deleted, and forgets the event either way: seen again, it is new', () => {
    for (const deleted of [true, false]) {
      const raw = podEvent();
      const s = stage({ deleted });
      s.toRecord(item('ADDED', raw));
      assert.equal(s.toRecord(item('DELETED', raw))?.verb, deleted ? 'DELETED' : undefined);
      assert.equal(s.toRecord(item('ADDED', raw))?.verb, 'ADDED');
    }
  });

  it('keeps the object as received only when a sink needs it, cut as the body is', () => {
    const raw = podEvent({ message: 'x'.repeat(50) });
    assert.equal(stage({}, false).toRecord(item('ADDED', raw))?.raw, undefined);
    assert.equal(stage({}, true).toRecord(item('ADDED', raw))?.raw, raw);
    const cut = stage({}, true, 10).toRecord(item('ADDED', podEvent({ message: 'y'.repeat(50) })));
    const message = (cut?.raw as { message: string }).message;
    assert.ok(message.length < 50 && message.startsWith('y'.repeat(5)), message);
    assert.equal(message, cut?.body);
  });
});
