import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/load-config.ts';
import { NO_OTLP_ENV, readOtlpEnv } from '../../../src/sinks/otlp/otlp-env.ts';
import { withOtlpTargets } from '../../../src/sinks/otlp/otlp-target.ts';
import { configProblems as problems } from '../../support/harness.ts';

describe('OTEL_EXPORTER_OTLP_* variables', () => {
  it('refuses an endpoint without a scheme, naming the variable, as the file refuses it under its key', () => {
    const fromEnv = problems({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
    const fromFile = problems({ sinks: [{ name: 'o', type: 'otlp', endpoint: 'localhost:4318' }] }, {});
    assert.equal(fromEnv.length, 1, fromEnv.join('\n'));
    assert.equal(fromEnv[0]?.replace(/^OTEL_EXPORTER_OTLP_ENDPOINT: /, ''), fromFile[0]?.replace(/^sinks\[0\]\.endpoint: /, ''));
    assert.match(fromEnv[0] ?? '', /^OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" must be an http:\/\/ or https:\/\/ URL/);
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector' }).map((p) => p.split(':')[0]), ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT']);
  });

  it('refuses a protocol, compression or timeout the spec does not allow, with the schema\'s own messages', () => {
    const found = problems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd', OTEL_EXPORTER_OTLP_TIMEOUT: 'abc' });
    assert.deepEqual(found, [
      'OTEL_EXPORTER_OTLP_PROTOCOL: Invalid option: expected one of "http/protobuf"|"http/json"|"grpc"',
      'OTEL_EXPORTER_OTLP_COMPRESSION: Invalid option: expected one of "gzip"|"none"',
      'OTEL_EXPORTER_OTLP_TIMEOUT: "abc" is not a whole number of milliseconds (e.g. 10000)',
    ]);
    // The file's protocol error, under its key: the same words.
    assert.deepEqual(problems({ sinks: [{ name: 'o', type: 'otlp', protocol: 'thrift' }] }, {}), ['sinks[0].protocol: Invalid option: expected one of "http/protobuf"|"http/json"|"grpc"']);
    // Milliseconds as an integer (the spec), above zero (the file's rule for timeout).
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }), ['OTEL_EXPORTER_OTLP_TIMEOUT: "10s" is not a whole number of milliseconds (e.g. 10000)']);
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '0' }), ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: must be above 0 (a request with no time to answer fails every attempt)']);
  });

  it('checks the variable in force: the _LOGS_ one wins, and a key the sink entry sets is not taken from the environment', () => {
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' }), []);
    assert.deepEqual(problems({ sinks: [{ name: 'o', type: 'otlp', compression: 'gzip' }] }, { OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }), []);
    // Only the first OTLP sink reads them; with none, nothing reads them.
    assert.deepEqual(problems({ sinks: [{ name: 's', type: 'stdout' }] }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }), []);
    assert.equal(problems({ sinks: [{ name: 's', type: 'stdout' }, { name: 'o', type: 'otlp' }] }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }).length, 1);
    // A grpc target without a scheme is valid for grpc, whichever side says grpc.
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }), []);
    assert.deepEqual(problems({ sinks: [{ name: 'o', type: 'otlp', protocol: 'grpc' }] }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }), []);
    assert.deepEqual(problems({}, { OTEL_EXPORTER_OTLP_ENDPOINT: ' ', OTEL_EXPORTER_OTLP_TIMEOUT: '' }), [], 'empty is unset, per the spec');
  });

  it('refuses headers the SDK would skip, missing certificate files, a client certificate without its key, and an INSECURE that is not a boolean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otlp-env-check-'));
    writeFileSync(join(dir, 'cert.pem'), 'x');
    const found = problems({}, {
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t,justakey',
      OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'missing-ca.pem'),
      OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: join(dir, 'cert.pem'),
      OTEL_EXPORTER_OTLP_INSECURE: 'yes',
    });
    assert.deepEqual(found, [
      'OTEL_EXPORTER_OTLP_INSECURE: "yes" is not true or false',
      'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value (comma-separated, values percent-encoded, e.g. Authorization=Bearer%20TOKEN)',
      `OTEL_EXPORTER_OTLP_CERTIFICATE: ${join(dir, 'missing-ca.pem')} does not exist`,
      'OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together (mTLS)',
    ]);
    assert.doesNotMatch(found.join('\n'), /s3cr3t/, 'a header value is a secret: only its position is named');
  });

  it('reports the environment\'s problems together with the file\'s', () => {
    const found = problems({ source: { api: 'v2' } }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
    assert.deepEqual(found.map((p) => p.split(':')[0]), ['source.api', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
  });

  it('writes out the sink they produce: endpoint, protocol, compression, timeout and headers, as the sink will use them', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/base/', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t' };
    const config = parseConfig({}, env);
    const [sink] = withOtlpTargets(config, readOtlpEnv(env), NO_OTLP_ENV).sinks ?? [];
    assert.ok(sink?.type === 'otlp');
    assert.equal(sink.endpoint, 'https://otlp.example.com/base/v1/logs');
    assert.equal(sink.protocol, 'http/protobuf');
    assert.equal(sink.compression, 'gzip');
    assert.equal(sink.timeout, 2500);
    assert.deepEqual(sink.headers, { authorization: 'Bearer t' });
    // The signal-specific endpoint is used as it is; a second OTLP sink takes nothing from the environment.
    const two = parseConfig({ sinks: [{ name: 'a', type: 'otlp' }, { name: 'b', type: 'otlp', protocol: 'grpc' }] }, {});
    const logsEnv = readOtlpEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    const [a, b] = withOtlpTargets(two, logsEnv, NO_OTLP_ENV).sinks ?? [];
    assert.ok(a?.type === 'otlp' && b?.type === 'otlp');
    assert.equal(a.endpoint, 'http://c:4318/custom');
    assert.deepEqual([b.endpoint, b.protocol, b.compression, b.timeout], ['http://localhost:4317', 'grpc', 'none', 10_000]);
  });
});
