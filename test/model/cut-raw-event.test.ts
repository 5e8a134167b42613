import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutRawEvent } from '../../src/model/cut-raw-event.ts';

describe('the Event object kept for the classic format', () => {
  it('has its core/v1 message cut to maxBodyLength; the received object is left as it was', () => {
    const raw = { kind: 'Event', metadata: { name: 'e' }, message: 'm'.repeat(5000), reason: 'R' };
    const cut = cutRawEvent(raw, 100) as typeof raw;
    assert.equal(cut.message, 'm'.repeat(100));
    assert.equal(cut.reason, 'R');
    assert.equal(cut.metadata, raw.metadata);
    assert.equal(raw.message.length, 5000);
  });

  it('has its events.k8s.io/v1 note cut, and shares the record body when it is the same cut', () => {
    const raw = { apiVersion: 'events.k8s.io/v1', metadata: { name: 'e' }, note: `${'n'.repeat(100)}tail` };
    const body = 'n'.repeat(100);
    const cut = cutRawEvent(raw, 100, body) as typeof raw;
    assert.equal(cut.note, body);
  });

  it('is the object itself when nothing is too long (no copy), and without a maxBodyLength', () => {
    const raw = { metadata: { name: 'e' }, message: 'short' };
    assert.equal(cutRawEvent(raw, 100), raw);
    const long = { metadata: { name: 'e' }, message: 'x'.repeat(500) };
    assert.equal(cutRawEvent(long, undefined), long);
  });
});
