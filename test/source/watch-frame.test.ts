import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';

describe('watch frame parser', () => {
  it('reads the API server\'s 410 ERROR frames as ERROR frames with code and reason', () => {
    // The Status objects a kube-apiserver writes in-stream when a watch's resourceVersion is
    // compacted away: the etcd watcher's `Expired` and the older `Gone`, with the servers' own
    // messages. Built here rather than read from captures whose licence is not on record
    // (test/fixtures/real-events/README.md).
    const status = (message: string, reason: string) =>
      JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: 410 } });
    const lines = [
      status('The resourceVersion for the provided watch is too old.', 'Expired'),
      status('too old resource version: 1312242788 (1474332294)', 'Gone'),
      status('too old resource version: 10000 (343914)', 'Expired'),
    ];
    const frames = lines.map(parseWatchFrame);
    assert.deepEqual(frames.map((f) => f.type === 'ERROR' && [f.code, f.reason]), [[410, 'Expired'], [410, 'Gone'], [410, 'Expired']]);
  });

  it('reads bookmarks and refuses a bookmark without a resourceVersion', () => {
    assert.deepEqual(parseWatchFrame('{"type":"BOOKMARK","object":{"kind":"Event","metadata":{"resourceVersion":"12"}}}'), { type: 'BOOKMARK', resourceVersion: '12' });
    assert.equal(parseWatchFrame('{"type":"BOOKMARK","object":{}}').type, 'MALFORMED');
  });

  it('never throws, whatever the line (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (line) => {
        const frame = parseWatchFrame(line);
        assert.ok(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'MALFORMED'].includes(frame.type));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the object-carrying frames of the three data types (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('ADDED', 'MODIFIED', 'DELETED'), fc.dictionary(fc.string(), fc.jsonValue()), (type, object) => {
        const frame = parseWatchFrame(JSON.stringify({ type, object }));
        assert.equal(frame.type, type);
      }),
    );
  });
});
