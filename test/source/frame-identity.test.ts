import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { frameIdentity } from '../../src/source/frame-identity.ts';

const frame = (object: Record<string, unknown>, type = 'ADDED') => JSON.stringify({ type, object });

describe('identity of a watch frame from its first bytes', () => {
  it('reads type and metadata namespace, name, uid, resourceVersion from a head cut inside the message', () => {
    const line = frame({ kind: 'Event', metadata: { name: 'web.17a', namespace: 'shop', uid: 'u-1', resourceVersion: '991' }, message: 'x'.repeat(100_000) }, 'MODIFIED');
    assert.deepEqual(frameIdentity(line.slice(0, 8192)), { type: 'MODIFIED', name: 'web.17a', namespace: 'shop', uid: 'u-1', resourceVersion: '991' });
  });

  it('takes the fields of object.metadata only, in any order: not involvedObject, not a label called name', () => {
    const line = frame({
      involvedObject: { kind: 'Pod', name: 'pod-a', namespace: 'victim', uid: 'pod-uid', resourceVersion: '5' },
      metadata: { labels: { name: 'label-name', uid: 'label-uid' }, annotations: { namespace: 'x' }, resourceVersion: '77', uid: 'ev-uid', namespace: 'team', name: 'ev' },
    });
    assert.deepEqual(frameIdentity(line), { type: 'ADDED', name: 'ev', namespace: 'team', uid: 'ev-uid', resourceVersion: '77' });
  });

  it('gives what it found before the head ends, decodes escapes, and bounds each value', () => {
    assert.deepEqual(frameIdentity('{"type":"ADDED","object":{"metadata":{"name":"a\\"b\\u00e9","namespace":"ns-cut-he'), { type: 'ADDED', name: 'a"bé' });
    assert.equal(frameIdentity(frame({ metadata: { name: 'n'.repeat(5000) } })).name?.length, 256);
  });

  it('names nothing in what is not a watch frame, and never throws (property)', () => {
    assert.deepEqual(frameIdentity('not json at all'), {});
    assert.deepEqual(frameIdentity('{"type":1,"object":[{"metadata":{"name":"q"}}]}'), {});
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), fc.nat(), (text, cut) => {
        const identity = frameIdentity(text.slice(0, cut));
        return typeof identity === 'object';
      }),
    );
  });

  it('finds exactly the metadata of any event frame whose head holds it (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(id, id, id, id, fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (name, namespace, uid, resourceVersion, extra, message) => {
        const metadata = { ...extra, name, namespace, uid, resourceVersion };
        const line = frame({ involvedObject: { name: 'other', uid: 'other' }, metadata, message: message.repeat(50) });
        assert.deepEqual(frameIdentity(line), { type: 'ADDED', name, namespace, uid, resourceVersion });
      }),
    );
  });
});
