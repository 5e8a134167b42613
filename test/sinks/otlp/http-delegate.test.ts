import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { ExportError } from '../../../src/sinks/export-error.ts';
import { httpJsonLogsDelegate, httpProtobufLogsDelegate } from '../../../src/sinks/otlp/http-delegate.ts';
import { LogRecordEncoder } from '../../../src/sinks/otlp/log-record-encoder.ts';
import type { OtlpSettings } from '../../../src/sinks/otlp/otlp-settings.ts';
import { PartialSuccess } from '../../../src/sinks/otlp/partial-success.ts';
import { toReadableLogRecords } from '../../../src/sinks/otlp/resource-grouping.ts';
import { podEvent } from '../../support/harness.ts';
import { OtlpReceiver, encodePartialSuccessResponse } from '../../support/otlp-receiver.ts';

const SCOPE = { name: 'eventrouter', version: 'test' };
const records = (n: number) => Array.from({ length: n }, (_, i) => mapEvent(normalizeEvent(podEvent({ reason: `R${i}` })), 'ADDED'));

function settings(url: string, overrides: Partial<OtlpSettings> = {}): OtlpSettings {
  return {
    protocol: 'http/protobuf',
    url,
    headers: {},
    compression: 'none',
    timeoutMs: 10_000,
    tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipVerify: false },
    insecure: false,
    ...overrides,
  };
}

function exported<T>(delegate: IOtlpExportDelegate<T>, items: T): Promise<ExportResult> {
  return new Promise((resolve) => delegate.export(items, resolve));
}

describe('OTLP/HTTP export delegates', () => {
  const receiver = new OtlpReceiver();
  let url = '';
  const delegates: Array<IOtlpExportDelegate<never>> = [];
  before(async () => {
    url = `${await receiver.start()}/v1/logs`;
  });
  afterEach(async () => {
    receiver.reset();
    for (const d of delegates.splice(0)) await d.shutdown();
  });
  after(() => receiver.stop());

  it('http/protobuf: sends the records encoded when queued, with the headers, user agent and compression of the settings', async () => {
    const encoder = new LogRecordEncoder(SCOPE);
    const delegate = httpProtobufLogsDelegate(settings(url, { headers: { 'x-scope-orgid': 'a' }, compression: 'gzip' }), 'eventrouter/9', encoder, new PartialSuccess());
    delegates.push(delegate as never);
    const result = await exported(delegate, records(3).map((r) => encoder.encode(r)));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    const [got] = receiver.requests;
    assert.equal(got?.contentType, 'application/x-protobuf');
    assert.equal(got?.encoding, 'gzip');
    assert.equal(got?.headers['x-scope-orgid'], 'a');
    assert.equal(got?.headers['user-agent'], 'eventrouter/9');
    assert.deepEqual(receiver.logs.map((l) => l.attributes['k8s.event.reason']), ['R0', 'R1', 'R2']);
    assert.deepEqual(receiver.logs[0]?.scope, SCOPE);
  });

  it('http/json: sends the records in OTLP/JSON', async () => {
    const delegate = httpJsonLogsDelegate(settings(url, { protocol: 'http/json' }), 'eventrouter/9', new PartialSuccess());
    delegates.push(delegate as never);
    const result = await exported(delegate, toReadableLogRecords(records(2), SCOPE));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(receiver.requests[0]?.contentType, 'application/json');
    assert.deepEqual(receiver.logs.map((l) => l.attributes['k8s.event.reason']), ['R0', 'R1']);
  });

  it("makes one attempt per export (no retry underneath the sink's retry sender), and hands the transport's error through with its delay", async () => {
    const encoder = new LogRecordEncoder(SCOPE);
    const delegate = httpProtobufLogsDelegate(settings(url), 'eventrouter/9', encoder, new PartialSuccess());
    delegates.push(delegate as never);
    receiver.behaviours.push({ kind: 'status', status: 503, retryAfterSeconds: 2 }, { kind: 'status', status: 503 });
    const result = await exported(delegate, records(1).map((r) => encoder.encode(r)));
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.equal(receiver.attempts, 1);
    assert.ok(result.error instanceof ExportError, String(result.error));
    assert.equal(result.error.code, 'E_EXPORT_STATUS');
    assert.equal(result.error.retryAfterMs, 2000);
  });

  for (const json of [false, true]) {
    it(`${json ? 'http/json' : 'http/protobuf'}: tells the sink of a partial success, which the SDK would report as a plain success`, async () => {
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
          res.end(json ? JSON.stringify({ partialSuccess: { rejectedLogRecords: '1', errorMessage: 'too old' } }) : encodePartialSuccessResponse(1, 'too old'));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const partial = new PartialSuccess();
      const target = settings(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`);
      try {
        const encoder = new LogRecordEncoder(SCOPE);
        const result = json
          ? await exported(httpJsonLogsDelegate(target, 'ua', partial), toReadableLogRecords(records(2), SCOPE))
          : await exported(httpProtobufLogsDelegate(target, 'ua', encoder, partial), records(2).map((r) => encoder.encode(r)));
        assert.equal(result.code, ExportResultCode.SUCCESS);
        assert.deepEqual(partial.take(), { rejected: 1, message: 'too old' });
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  }
});
