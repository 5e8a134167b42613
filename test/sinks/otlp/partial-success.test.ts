import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { PartialSuccess } from '../../../src/sinks/otlp/partial-success.ts';
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

describe('PartialSuccess', () => {
  /** A serializer whose responses are given as they are (the decoding under test is the wrapper's). */
  const serializer = { serializeRequest: (request: string) => new TextEncoder().encode(request), deserializeResponse: (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) };
  const answer = (response: unknown) => new TextEncoder().encode(JSON.stringify(response));

  it('leaves requests and responses as the serializer makes them', () => {
    const wrapped = new PartialSuccess().wrap(serializer);
    assert.deepEqual(wrapped.serializeRequest('abc'), new TextEncoder().encode('abc'));
    const response = { partialSuccess: { rejectedLogRecords: 2, errorMessage: 'old' } };
    assert.deepEqual(wrapped.deserializeResponse(answer(response)), response);
  });

  it('reports how many records were rejected and why, however the decoder gave the int64: number, string or Long', () => {
    const partial = new PartialSuccess();
    const wrapped = partial.wrap(serializer);
    wrapped.deserializeResponse(answer({ partialSuccess: { rejectedLogRecords: 3, errorMessage: 'too old' } }));
    assert.deepEqual(partial.take(), { rejected: 3, message: 'too old' });
    wrapped.deserializeResponse(answer({ partialSuccess: { rejectedLogRecords: '7' } }));
    assert.deepEqual(partial.take(), { rejected: 7, message: '' });
    const long = { low: 5, high: 0, unsigned: false, toString: () => '5' };
    partial.wrap({ serializeRequest: () => undefined, deserializeResponse: () => ({ partialSuccess: { rejectedLogRecords: long as never } }) }).deserializeResponse(new Uint8Array());
    assert.deepEqual(partial.take(), { rejected: 5, message: '' });
  });

  it('clears the report when taken: the next export starts with none', () => {
    const partial = new PartialSuccess();
    partial.wrap(serializer).deserializeResponse(answer({ partialSuccess: { rejectedLogRecords: 1 } }));
    assert.equal(partial.take()?.rejected, 1);
    assert.equal(partial.take(), undefined);
  });

  for (const response of [{}, { partialSuccess: {} }, { partialSuccess: { rejectedLogRecords: 0, errorMessage: 'warning only' } }, { partialSuccess: { rejectedLogRecords: -1 } }, { partialSuccess: { rejectedLogRecords: 'many' } }, null]) {
    it(`reports nothing for a full success or a count that is none: ${JSON.stringify(response)}`, () => {
      const partial = new PartialSuccess();
      partial.wrap(serializer).deserializeResponse(answer(response));
      assert.equal(partial.take(), undefined);
    });
  }
});
