import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { RetrySender } from '../../../src/sinks/retry-sender.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { Metrics } from '../../../src/telemetry/metrics.ts';
import { capturingLogger } from '../../support/capturing-logger.ts';
import { podEvent } from '../../support/harness.ts';
import { encodePartialSuccessResponse } from '../../support/otlp-receiver.ts';
import { otlpSink } from '../../support/sinks.ts';

const batch = (n: number) => Array.from({ length: n }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));

/** An OTLP/HTTP receiver that takes every request (200) and rejects 2 of its records. */
async function httpReceiver(json: boolean) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? JSON.stringify({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'too old' } }) : encodePartialSuccessResponse(2, 'too old'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => server.close() };
}

/** The same over gRPC. */
async function grpcPartialReceiver() {
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    { Export: { path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { Export: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, encodePartialSuccessResponse(2, 'too old')) },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { url: `http://127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** Sends 3 records through the retry sender in front of `sink`; the counters it leaves. */
async function send(sink: Sink) {
  const { logger, entries } = capturingLogger();
  const metrics = new Metrics();
  const sender = new RetrySender({ sink, initialBackoffMs: 10, maxBackoffMs: 10, sleep: async () => {}, metrics, logger });
  await sink.start();
  try {
    assert.equal(await sender.send(batch(3), new AbortController().signal), true);
  } finally {
    await sink.shutdown();
  }
  return { exported: metrics.records.value({ outcome: 'exported' }), failed: metrics.records.value({ outcome: 'failed' }), entries };
}

describe('OTLP partial success', () => {
  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
    it(`${protocol}: the records the receiver rejected count as failed, not exported, and are logged with its reason`, async () => {
      const receiver = protocol === 'grpc' ? await grpcPartialReceiver() : await httpReceiver(protocol === 'http/json');
      try {
        const { exported, failed, entries } = await send(otlpSink({ endpoint: receiver.url, protocol }));
        assert.deepEqual({ exported, failed }, { exported: 1, failed: 2 });
        const line = entries.find((e) => e['records'] === 2);
        assert.ok(line, JSON.stringify(entries));
        assert.match(String(line['err']), /the receiver rejected 2 of 3 records \(OTLP partial success\): too old/);
      } finally {
        receiver.stop();
      }
    });
  }
});
