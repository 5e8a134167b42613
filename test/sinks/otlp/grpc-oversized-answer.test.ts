/**
 * A gRPC receiver whose answer is over the client's 4 MiB receive limit. grpc-js reports that as
 * RESOURCE_EXHAUSTED "Received message larger than max", the words a receiver uses to refuse a
 * request over its own limit, so the sink took it for its own request being too large: the
 * retry sender halved the batch down to single records and dropped each as too large alone.
 * A request within the limit the error names cannot be what was too large.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, it } from 'node:test';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { grpcReceiver } from '../../support/grpc-receiver.ts';
import { podEvent } from '../../support/harness.ts';
import { otlpSink } from '../../support/sinks.ts';

const records = (n: number) => Array.from({ length: n }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));

describe('a gRPC receiver whose answer is over the client\'s receive limit', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  async function answering(body: Buffer): Promise<{ url: string; calls: () => number }> {
    const server = new grpc.Server();
    let calls = 0;
    const identity = (b: Buffer) => b;
    server.addService(
      { Export: { path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
      { Export: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => void (calls += 1, callback(null, body)) },
    );
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    stops.push(() => server.forceShutdown());
    return { url: `http://127.0.0.1:${port}`, calls: () => calls };
  }

  async function exportOnce(url: string, n: number) {
    const sink: Sink = otlpSink({ endpoint: url, protocol: 'grpc', timeout: '5s' });
    await sink.start();
    try {
      return await sink.export(records(n));
    } finally {
      await sink.shutdown();
    }
  }

  it('is a retryable failure of the receiver, not a request too large (nothing split or dropped)', async () => {
    const { url, calls } = await answering(Buffer.alloc(5 * 1024 * 1024));
    const outcome = await exportOnce(url, 20);
    assert.equal(calls(), 1);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'E_EXPORT_STATUS', !outcome.ok ? outcome.error.message : '');
    assert.equal(!outcome.ok && outcome.error.retryable, true);
  });

  it('a request over the receiver\'s limit is still too large', async () => {
    const receiver = await grpcReceiver(() => null, grpc.ServerCredentials.createInsecure(), { 'grpc.max_receive_message_length': 4096 });
    stops.push(() => receiver.stop());
    const outcome = await exportOnce(receiver.url, 40);
    assert.equal(!outcome.ok && outcome.error.code, 'E_EXPORT_TOO_LARGE', !outcome.ok ? outcome.error.message : 'ok');
  });
});
