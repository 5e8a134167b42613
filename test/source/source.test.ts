/**
 * The contract of a {@link Source}, which both sources keep: the watch source (a cluster) and the
 * dump source (`eventrouter replay`). Items reach the pipeline in stream order through `deliver`;
 * a delivery that waits holds the source (back-pressure); `shutdown` may come before `start` or
 * twice, and returns once the delivery in progress did; `done` resolves when reading ended.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { DumpSource } from '../../src/source/dump-source.ts';
import { EventSource } from '../../src/source/event-source.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import type { Deliver, Source } from '../../src/source/source.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = 5;
const names = Array.from({ length: EVENTS }, (_, i) => `event-${i}`);
const objects = names.map((name) => podEvent({ metadata: { name, namespace: 'default', uid: `uid-${name}` } }));

/** Event names in what a source delivered (cursors and bookmarks left out). */
const eventNames = (items: SourceItem[]) => items.flatMap((item) => (item.kind === 'event' ? [item.event.name] : []));

/** A few turns of the event loop: each lets a continuation that is ready run. */
async function turns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Whether `promise` is still unsettled after a few turns. */
async function stillPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await turns();
  return !settled;
}

// Watches end after a second, so that a source that kept one open after its shutdown fails an assertion rather than the timeout.
const api = new FakeApiServer({ maxWatchSeconds: 1 });
let client: KubeClient;

const SOURCES: Array<{ name: string; endsByItself: boolean; make: (deliver: Deliver) => Source }> = [
  {
    name: 'watch source',
    endsByItself: false,
    make: (deliver) =>
      new EventSource({ client, settings: testConfig({ source: { pageSize: 2 } }).source, namespace: 'default', deliver, metrics: new Metrics(), logger: silentLogger() }),
  },
  {
    name: 'dump source',
    endsByItself: true,
    make: (deliver) => new DumpSource({ objects, deliver, pageSize: 2, metrics: new Metrics(), logger: silentLogger() }),
  },
];

describe('source contract', () => {
  before(async () => {
    client = KubeClient.fromServer(await api.start());
    for (const object of objects) api.create('/api/v1/events', object);
  });
  after(() => api.stop());

  for (const { name, endsByItself, make } of SOURCES) {
    describe(name, () => {
      it('starts in the background and hands every item on in stream order; shutdown ends it, done resolves', async () => {
        const items: SourceItem[] = [];
        const source = make((batch) => void items.push(...batch));
        await source.start();
        await waitFor(() => eventNames(items).length === EVENTS, 'every event delivered');
        assert.deepEqual(eventNames(items), names);
        if (endsByItself) await source.done;
        else assert.equal(await stillPending(source.done), true, 'a watch never ends by itself');
        await source.shutdown();
        await source.done;
        // Twice is fine.
        await source.shutdown();
      });

      it('shut down before it started, it reads nothing', async () => {
        let delivered = 0;
        const source = make(() => void (delivered += 1));
        await source.shutdown();
        await source.start();
        await source.done;
        assert.equal(delivered, 0);
        await source.shutdown();
      });

      it('delivers no more while a delivery waits for room, and its shutdown returns only once that delivery did', async () => {
        const calls: SourceItem[][] = [];
        let release!: () => void;
        const room = new Promise<void>((resolve) => (release = resolve));
        const source = make((batch) => {
          calls.push(batch);
          return calls.length === 1 ? room : undefined;
        });
        await source.start();
        await waitFor(() => calls.length === 1, 'the first delivery');
        await turns();
        assert.equal(calls.length, 1, 'no second delivery while the first waits');
        const stopped = source.shutdown();
        assert.equal(await stillPending(stopped), true, 'shutdown waits for the delivery in progress');
        release();
        await stopped;
        await source.done;
        // Nothing is handed on after a shutdown.
        assert.equal(calls.length, 1);
      });
    });
  }
});
