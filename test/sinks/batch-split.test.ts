import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { App } from '../../src/app/app.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { RetrySender } from '../../src/sinks/retry-sender.ts';
import { sleep } from '../../src/util/sleep.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { podEvent, settled, testConfig } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { OtlpReceiver, type ReceivedLog } from '../support/otlp-receiver.ts';
import { otlpSink } from '../support/sinks.ts';

const EVENTS = '/api/v1/events';
/** The receivers' request size limit in these tests: a batch of 100 of the records below is ~7 times over it. */
const LIMIT = 16 * 1024;
const NORMAL = 150;

const uids = (logs: ReceivedLog[]) => logs.map((l) => String(l.attributes['k8s.event.uid']));
const duplicates = (values: string[]) => values.filter((v, i) => values.indexOf(v) !== i);

describe('a request over the receiver\'s size limit is split, not dropped', () => {
  let api: FakeApiServer | undefined;
  let app: App | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await app?.stop(500);
    app = undefined;
    await api?.stop();
    await receiver?.stop();
  });

  it('HTTP 413: every record arrives in smaller requests; only the one too large on its own is dropped, named and counted; the checkpoint moves on', async (t) => {
    api = new FakeApiServer();
    await api.start();
    receiver = new OtlpReceiver();
    await receiver.start();
    receiver.maxBodyBytes = LIMIT;
    const { logger, entries } = capturingLogger();
    const config = testConfig({ sinks: [{ name: 'collector', type: 'otlp', endpoint: receiver.url, maxBatchSize: 100, batchTimeout: '50ms' }] });
    app = new App({ config, client: KubeClient.fromServer(api.url), logger, checkpointStore: new NoCheckpointStore(), env: {} });
    await app.start();
    const wanted: string[] = [];
    let oversize = '';
    for (let i = 0; i < NORMAL; i++) {
      wanted.push(String(api.create(EVENTS, podEvent({ message: `${i} ${'m'.repeat(400)}` })).metadata.uid));
      // One event too large for any request (under maxBodyLength, so it is not cut).
      if (i === 70) oversize = String(api.create(EVENTS, podEvent({ message: 'x'.repeat(24_000) })).metadata.uid);
    }
    await settled(app, api, 'every event acknowledged');
    const received = uids(receiver.logs);
    const tooLarge = await metricSum(app.metrics, 'eventrouter_records_total', { sink: 'collector', outcome: 'too_large' });
    t.diagnostic(`${NORMAL + 1} events, limit ${LIMIT} B: ${received.length} delivered in ${receiver.requests.length} requests, ${receiver.tooLarge} answered 413, ${tooLarge} too large`);
    assert.deepEqual(received.sort(), [...wanted].sort(), 'every record but the oversize one arrived');
    assert.deepEqual(duplicates(received), []);
    assert.ok(receiver.tooLarge > 0, 'requests were refused as too large and split');
    assert.equal(tooLarge, 1);
    assert.equal(await metricSum(app.metrics, 'eventrouter_records_total', { sink: 'collector', outcome: 'failed' }), 0, 'nothing refused as a whole');
    const named = entries.find((e) => e['msg'] === 'the receiver refuses this record as too large on its own; it is dropped');
    assert.equal(named?.['uid'], oversize, 'the log names the dropped event');
    assert.equal(named?.['sink'], 'collector');
  });

  it('gRPC RESOURCE_EXHAUSTED "larger than max": the batch is halved until it fits; only the record too large on its own is dropped', async (t) => {
    const server = await grpcReceiver(undefined, undefined, { 'grpc.max_receive_message_length': LIMIT });
    try {
      const sink = otlpSink({ name: 'grpc', endpoint: server.url, protocol: 'grpc' });
      await sink.start();
      const metrics = new Metrics();
      const { logger, entries } = capturingLogger();
      const sender = new RetrySender({ sink, initialBackoffMs: 10, maxBackoffMs: 20, sleep, metrics, logger });
      const records = Array.from({ length: 100 }, (_, i) => mapEvent(normalizeEvent(podEvent({ message: `${i} ${'g'.repeat(400)}` })), 'ADDED'));
      const big = mapEvent(normalizeEvent(podEvent({ message: 'y'.repeat(24_000) })), 'ADDED');
      records.splice(40, 0, big);
      assert.equal(await sender.send(records, new AbortController().signal), true);
      const outcomes = {
        exported: await metricSum(metrics, 'eventrouter_records_total', { outcome: 'exported' }),
        tooLarge: await metricSum(metrics, 'eventrouter_records_total', { outcome: 'too_large' }),
      };
      t.diagnostic(`101 records, limit ${LIMIT} B: ${server.logs()} received in ${server.calls()} calls; ${JSON.stringify(outcomes)}`);
      assert.deepEqual(uids(server.received).sort(), records.filter((r) => r !== big).map((r) => String(r.attributes['k8s.event.uid'])).sort());
      assert.deepEqual(outcomes, { exported: 100, tooLarge: 1 });
      const named = entries.find((e) => e['msg'] === 'the receiver refuses this record as too large on its own; it is dropped');
      assert.equal(named?.['uid'], big.event.uid);
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });
});
