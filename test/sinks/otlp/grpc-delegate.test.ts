import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { ExportError } from '../../../src/sinks/export-error.ts';
import { grpcLogsDelegate } from '../../../src/sinks/otlp/grpc-delegate.ts';
import { type EncodedLogRecord, LogRecordEncoder } from '../../../src/sinks/otlp/log-record-encoder.ts';
import type { OtlpSettings } from '../../../src/sinks/otlp/otlp-settings.ts';
import { PartialSuccess } from '../../../src/sinks/otlp/partial-success.ts';
import { grpcReceiver } from '../../support/grpc-receiver.ts';
import { podEvent } from '../../support/harness.ts';

const SCOPE = { name: 'eventrouter', version: 'test' };

function settings(url: string, overrides: Partial<OtlpSettings> = {}): OtlpSettings {
  return {
    protocol: 'grpc',
    url,
    headers: {},
    compression: 'none',
    timeoutMs: 10_000,
    tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipVerify: false },
    insecure: true,
    ...overrides,
  };
}

const serviceError = (code: grpc.status, details: string): grpc.ServiceError => Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });

describe('OTLP/gRPC export delegate', () => {
  const stops: Array<() => unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function setup(answer?: () => grpc.ServiceError | null, overrides: Partial<OtlpSettings> = {}, url?: (port: number) => string) {
    const receiver = await grpcReceiver(answer);
    stops.push(receiver.stop);
    const encoder = new LogRecordEncoder(SCOPE);
    const partial = new PartialSuccess();
    const delegate = grpcLogsDelegate(settings(url ? url(receiver.port) : receiver.url, overrides), 'eventrouter/9', encoder, partial);
    stops.push(() => delegate.shutdown());
    const send = (n: number) => new Promise<ExportResult>((resolve) => delegate.export(Array.from({ length: n }, (_, i) => encoder.encode(mapEvent(normalizeEvent(podEvent({ reason: `R${i}` })), 'ADDED'))), resolve));
    return { receiver, delegate: delegate as IOtlpExportDelegate<EncodedLogRecord[]>, send, partial };
  }

  it('sends the encoded records to the LogsService with the headers as metadata', async () => {
    const { receiver, send } = await setup(undefined, { headers: { 'x-scope-orgid': 'team-a' } });
    const result = await send(3);
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.deepEqual(receiver.received.map((l) => l.attributes['k8s.event.reason']), ['R0', 'R1', 'R2']);
    assert.deepEqual(receiver.metadata()?.get('x-scope-orgid'), ['team-a']);
    assert.match(String(receiver.metadata()?.get('user-agent')[0]), /eventrouter\/9/);
  });

  it('dials host:port whatever path the URL has, and takes a bare host:port', async () => {
    for (const url of [(port: number) => `http://127.0.0.1:${port}/v1/logs`, (port: number) => `127.0.0.1:${port}`]) {
      const { receiver, send } = await setup(undefined, {}, url);
      assert.equal((await send(1)).code, ExportResultCode.SUCCESS);
      assert.equal(receiver.calls(), 1);
    }
  });

  it("reports the receiver's error status, once per export (the gRPC exporter base has no retry)", async () => {
    const { receiver, send } = await setup(() => serviceError(grpc.status.UNAVAILABLE, 'down'));
    const result = await send(1);
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.equal((result.error as { code?: number }).code, grpc.status.UNAVAILABLE);
    assert.equal(receiver.calls(), 1);
  });

  it('takes an answer over the limit (RESOURCE_EXHAUSTED "larger than max") for what it is when the request was within that limit', async () => {
    const { send } = await setup(() => serviceError(grpc.status.RESOURCE_EXHAUSTED, 'Received message larger than max (5000000 vs. 4194304)'));
    const result = await send(2);
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.ok(result.error instanceof ExportError, String(result.error));
    assert.equal(result.error.code, 'E_EXPORT_STATUS');
    assert.equal(result.error.status, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(result.error.retryable, true);
    assert.match(result.error.message, /the receiver's answer is over the client's receive limit \(the request was \d+ bytes\)/);
  });

  it('leaves a "larger than max" refusal of a request over the limit it names as the receiver said it, and any other RESOURCE_EXHAUSTED', async () => {
    for (const details of ['Received message larger than max (5000000 vs. 10)', 'quota exceeded']) {
      const { send } = await setup(() => serviceError(grpc.status.RESOURCE_EXHAUSTED, details));
      const result = await send(2);
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.equal(result.error instanceof ExportError, false, details);
      assert.equal((result.error as { code?: number }).code, grpc.status.RESOURCE_EXHAUSTED);
    }
  });
});
