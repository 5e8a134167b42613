import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportError, grpcStatusError, httpStatusError, toExportError } from '../../src/sinks/export-error.ts';
import { MAX_RETRY_AFTER_MS } from '../../src/util/retry-after.ts';

describe('export error', () => {
  it('decides retryable from the code alone', () => {
    assert.equal(new ExportError('E_EXPORT_REFUSED', 'x').retryable, false);
    assert.equal(new ExportError('E_EXPORT_ENCODE', 'x').retryable, false);
    assert.equal(new ExportError('E_EXPORT_THREW', 'x').retryable, false);
    assert.equal(new ExportError('E_EXPORT_TOO_LARGE', 'x').retryable, false, 'as it is: the retry sender halves it');
    for (const code of ['E_EXPORT_STATUS', 'E_EXPORT_NETWORK', 'E_EXPORT_TIMEOUT', 'E_EXPORT_WRITE', 'E_EXPORT_NOT_STARTED'] as const) {
      assert.equal(new ExportError(code, 'x').retryable, true, code);
    }
  });

  it('treats only a refusal of the data as permanent over HTTP, 413 as too large; outages, throttling and auth are retried', () => {
    for (const status of [400, 415, 422]) assert.equal(httpStatusError(status, undefined, '').code, 'E_EXPORT_REFUSED', String(status));
    assert.equal(httpStatusError(413, undefined, '').code, 'E_EXPORT_TOO_LARGE');
    for (const status of [401, 403, 404, 429, 500, 502, 503, 504]) {
      const error = httpStatusError(status, undefined, '');
      assert.equal(error.code, 'E_EXPORT_STATUS', String(status));
      assert.equal(error.retryable, true, String(status));
      assert.equal(error.status, status);
    }
  });

  it('keeps the receiver’s Retry-After, capped at a minute', () => {
    assert.equal(httpStatusError(503, 2000, '').retryAfterMs, 2000);
    assert.equal(new ExportError('E_EXPORT_STATUS', 'x', { retryAfterMs: 3_600_000 }).retryAfterMs, MAX_RETRY_AFTER_MS);
  });

  it('puts the start of the answer’s body in the message', () => {
    assert.equal(httpStatusError(400, undefined, '  bad scope  ').message, 'HTTP 400: bad scope');
    assert.equal(httpStatusError(503, undefined, 'x'.repeat(1000)).message.length, 'HTTP 503: '.length + 300);
  });

  it('classifies gRPC statuses: INVALID_ARGUMENT is permanent, a message over the size limit too large, the rest is retried', () => {
    const grpc = (code: number) => Object.assign(new Error(`${code} status`), { code, details: 'd', metadata: {} });
    assert.equal(grpcStatusError(grpc(3)).code, 'E_EXPORT_REFUSED');
    assert.equal(grpcStatusError(grpc(4)).code, 'E_EXPORT_TIMEOUT');
    assert.equal(grpcStatusError(grpc(14)).code, 'E_EXPORT_NETWORK');
    assert.equal(grpcStatusError(grpc(16)).code, 'E_EXPORT_STATUS');
    assert.equal(grpcStatusError(grpc(8)).code, 'E_EXPORT_STATUS', 'RESOURCE_EXHAUSTED: throttling is waited out');
    const tooBig = Object.assign(new Error('8 RESOURCE_EXHAUSTED: grpc: received message larger than max (4971477 vs. 4194304)'), { code: 8, details: 'd', metadata: {} });
    assert.equal(grpcStatusError(tooBig).code, 'E_EXPORT_TOO_LARGE', 'a message over the size limit, as HTTP 413');
    assert.equal(toExportError(grpc(3)).retryable, false, 'a ServiceError is recognised');
  });

  it('passes an ExportError through and makes anything else a retryable network failure', () => {
    const refused = new ExportError('E_EXPORT_REFUSED', 'no');
    assert.equal(toExportError(refused), refused);
    const reset = toExportError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.equal(reset.code, 'E_EXPORT_NETWORK');
    assert.equal(reset.retryable, true);
    assert.equal(toExportError('weird').message, 'weird');
  });
});
