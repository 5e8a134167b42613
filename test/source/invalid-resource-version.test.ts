/**
 * A cursor that is no resourceVersion: a misbehaving server's BOOKMARK or event frame (or an
 * edited checkpoint) gave "abc" or a number past uint64. kube-apiserver v1.37 answers every
 * watch from it with 500 `resourceVersion: Invalid value`, and the source asked again with it,
 * for ever: nothing more was read, and the checkpoint kept the bad cursor.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { ApiError, KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { EventSource } from '../../src/source/event-source.ts';
import { isResourceVersionInvalid } from '../../src/source/invalid-resource-version.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';

describe('a watch cursor that is no resourceVersion', () => {
  let api: FakeApiServer | undefined;
  let source: EventSource | undefined;
  afterEach(async () => {
    await source?.shutdown();
    await api?.stop();
  });

  for (const bad of ['abc', '99999999999999999999999']) {
    it(`"${bad}" from a BOOKMARK: discarded, re-listed, and the next events arrive`, async () => {
      api = new FakeApiServer();
      await api.start();
      const metrics = new Metrics();
      const items: SourceItem[] = [];
      source = new EventSource({
        client: KubeClient.fromServer(api.url),
        settings: configSchema.parse({ source: { minBackoff: '20ms', maxBackoff: '200ms' } }).source,
        namespace: '',
        deliver: async (batch) => void items.push(...batch),
        metrics,
        logger: silentLogger(),
      });
      await source.start();
      await waitFor(() => source!.synced && api!.watcherCount > 0, 'the watch', 10_000);
      api.injectRaw(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: bad } } }));
      await waitFor(() => source!.resourceVersion === bad, 'the bookmark taken as the cursor', 10_000);
      api.closeWatches();
      const event = podEvent({ message: 'after the bad cursor' });
      api.create(EVENTS, event);
      const arrived = () => items.some((item) => item.kind === 'event' && item.event.message === 'after the bad cursor');
      await waitFor(arrived, 'the event created after the bad cursor', 15_000).catch(async (error: Error) => {
        throw new Error(`${error.message}: ${api!.requests.get(`GET ${EVENTS}`)} requests, cursor ${source!.resourceVersion}`);
      });
      assert.equal(await metricSum(metrics, 'eventrouter_checkpoint_discarded_total', { reason: 'invalid' }), 1);
      assert.match(source.resourceVersion ?? '', /^\d+$/);
    });
  }
});

describe('isResourceVersionInvalid', () => {
  it("recognises the API server's refusal of a watch resourceVersion that is not one, whatever its status", () => {
    const message = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
    assert.equal(isResourceVersionInvalid(new ApiError(500, 'InternalError', message)), true);
    assert.equal(isResourceVersionInvalid(new ApiError(400, 'BadRequest', `watch failed: ${message}`)), true);
    assert.equal(isResourceVersionInvalid(new ApiError(500, undefined, 'RESOURCEVERSION: INVALID VALUE: "x"')), true);
  });

  it('does not take other answers for it: another invalid field, an expired or too large resourceVersion', () => {
    assert.equal(isResourceVersionInvalid(new ApiError(422, 'Invalid', 'fieldSelector: Invalid value: "x"')), false);
    assert.equal(isResourceVersionInvalid(new ApiError(410, 'Expired', 'too old resource version: 1 (2)')), false);
    assert.equal(isResourceVersionInvalid(new ApiError(504, 'Timeout', 'Timeout: Too large resource version: 9, current: 5')), false);
  });

  it('takes only an answer of the API server: not a network error with the same words, nor a value that is no error', () => {
    assert.equal(isResourceVersionInvalid(new Error('resourceVersion: Invalid value: "abc"')), false);
    for (const value of [undefined, null, 'resourceVersion: Invalid value', { message: 'resourceVersion: Invalid value' }]) assert.equal(isResourceVersionInvalid(value), false);
  });
});
