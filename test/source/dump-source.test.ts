import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DumpSource } from '../../src/source/dump-source.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { fixtureEvents } from '../support/fixtures.ts';

describe('dump source', () => {
  it('hands on the objects of a dump a page at a time, as listed objects, and counts the malformed ones', async () => {
    const objects = [...fixtureEvents('troubleshoot-supportbundle-default-eventlist.json'), 'not an event', { kind: 'Event' }];
    const deliveries: SourceItem[][] = [];
    const source = new DumpSource({ objects, pageSize: 10, metrics: new Metrics(), logger: silentLogger(), deliver: async (items) => void deliveries.push(items) });
    await source.start();
    await source.done;
    const items = deliveries.flat();
    assert.equal(source.malformed, 2);
    assert.equal(source.accepted, objects.length - 2);
    assert.equal(items.length, source.accepted);
    assert.ok(deliveries.every((page) => page.length <= 10));
    assert.ok(items.every((item) => item.kind === 'event' && item.notification === 'LISTED'));
  });

  it('stops between pages when shut down, and a second shutdown does nothing', async () => {
    const objects = fixtureEvents('troubleshoot-supportbundle-default-eventlist.json');
    let pages = 0;
    const source = new DumpSource({
      objects,
      pageSize: 5,
      metrics: new Metrics(),
      logger: silentLogger(),
      deliver: async () => {
        pages += 1;
        // Not awaited: shutdown waits for this very delivery to return.
        void source.shutdown();
      },
    });
    await source.start();
    await source.done;
    assert.equal(pages, 1);
    await source.shutdown();
  });
});
