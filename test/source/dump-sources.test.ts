import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dumpSources } from '../../src/source/dump-sources.ts';
import type { SourceFactory } from '../../src/source/source-factory.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';

describe('dump sources (what replay reads)', () => {
  it('reads the dump as one scope that does not resume, and keeps the source it made for its counts', async () => {
    const sources = dumpSources({ objects: [podEvent(), 'not an event', podEvent()], pageSize: 10, metrics: new Metrics(), logger: silentLogger() });
    const factory: SourceFactory = sources;
    assert.deepEqual(factory.scopes, ['']);
    assert.equal(factory.resumes, false, 'every replay reads the whole file: no checkpoint to read');
    assert.equal(sources.source === undefined, true, 'nothing made yet');
    const items: SourceItem[] = [];
    const source = factory.create({ scope: '', start: {}, keepRaw: false, deliver: (batch) => void items.push(...batch) });
    assert.equal(sources.source, source);
    assert.equal(source.synced, false);
    await source.start();
    await source.done;
    assert.equal(items.length, 2);
    const made = sources.source;
    assert.deepEqual([made?.accepted, made?.malformed], [2, 1]);
    assert.deepEqual([source.synced, source.state, source.resourceVersion, source.stalledMs], [true, 'done', undefined, 0]);
  });
});
