import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type OtlpSinkConfig, sinkSchema } from '../../../src/config/schema.ts';
import { NO_OTLP_ENV, readOtlpEnv } from '../../../src/sinks/otlp/otlp-env.ts';
import { httpLogsUrl } from '../../../src/sinks/otlp/otlp-target.ts';
import { otlpSettings } from '../../../src/sinks/otlp/otlp-settings.ts';

const config = (fields: Record<string, unknown> = {}) => sinkSchema.parse({ name: 'o', type: 'otlp', ...fields }) as OtlpSinkConfig;

describe('OTLP settings', () => {
  it('reads the OTEL_EXPORTER_OTLP_* variables from the env given, the _LOGS_ ones first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otlp-env-'));
    const env = readOtlpEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=generic,b=generic%20two',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'a=logs',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.pem'),
      OTEL_EXPORTER_OTLP_INSECURE: 'TRUE',
    });
    assert.equal(env.protocol, 'grpc');
    assert.equal(env.endpoint, 'http://base:4318');
    assert.equal(env.logsEndpoint, undefined);
    assert.deepEqual(env.headers, { a: 'logs', b: 'generic two' });
    assert.equal(env.compression, 'gzip');
    assert.equal(env.timeoutMs, 2500);
    assert.equal(env.caFile, join(dir, 'ca.pem'));
    assert.equal(env.insecure, true);
  });

  it('ignores values the spec does not allow', () => {
    const env = readOtlpEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd', OTEL_EXPORTER_OTLP_TIMEOUT: '-1', OTEL_EXPORTER_OTLP_ENDPOINT: '  ' });
    assert.deepEqual(env, NO_OTLP_ENV);
  });

  it('falls back to the OTLP defaults when neither the config nor the environment says', () => {
    const settings = otlpSettings(config(), {}, NO_OTLP_ENV);
    assert.equal(settings.protocol, 'http/protobuf');
    assert.equal(settings.url, 'http://localhost:4318/v1/logs');
    assert.equal(settings.compression, 'none');
    assert.equal(settings.timeoutMs, 10_000);
    assert.equal(otlpSettings(config({ protocol: 'grpc' }), {}, NO_OTLP_ENV).url, 'http://localhost:4317');
  });

  it('appends /v1/logs to the generic endpoint and takes the logs endpoint as it is', () => {
    assert.equal(otlpSettings(config(), {}, readOtlpEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/prefix/' })).url, 'http://c:4318/prefix/v1/logs');
    assert.equal(otlpSettings(config(), {}, readOtlpEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://c:4318/custom' })).url, 'http://c:4318/custom');
    assert.equal(httpLogsUrl('http://c:4318/v1/logs'), 'http://c:4318/v1/logs');
  });

  it('lets the config win over the environment, and the config’s headers override the environment’s key by key', () => {
    const env = readOtlpEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: 'a=env,b=env', OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    const settings = otlpSettings(config({ protocol: 'http/json', endpoint: 'http://c:4318', timeout: '3s', compression: 'none' }), { a: 'config' }, env);
    assert.equal(settings.protocol, 'http/json');
    assert.equal(settings.url, 'http://c:4318/v1/logs');
    assert.deepEqual(settings.headers, { a: 'config', b: 'env' });
    assert.equal(settings.timeoutMs, 3000);
    assert.equal(settings.compression, 'none');
    assert.equal(otlpSettings(config(), {}, env).timeoutMs, 2500, 'the environment fills what the config leaves unset');
  });

  it('decides gRPC plaintext from the config, then the scheme, then OTEL_EXPORTER_OTLP_INSECURE', () => {
    const grpc = (fields: Record<string, unknown>, env = NO_OTLP_ENV) => otlpSettings(config({ protocol: 'grpc', ...fields }), {}, env).insecure;
    assert.equal(grpc({ endpoint: 'http://c:4317' }), true);
    assert.equal(grpc({ endpoint: 'https://c:4317' }), false);
    assert.equal(grpc({ endpoint: 'http://c:4317', insecure: false }), false);
    assert.equal(grpc({ endpoint: 'c:4317' }), false);
    assert.equal(grpc({ endpoint: 'c:4317' }, readOtlpEnv({ OTEL_EXPORTER_OTLP_INSECURE: 'true' })), true);
  });

  it('reads the TLS files of the config, else of the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otlp-tls-'));
    writeFileSync(join(dir, 'config-ca.pem'), 'config');
    writeFileSync(join(dir, 'env-ca.pem'), 'env');
    writeFileSync(join(dir, 'env-cert.pem'), 'cert');
    const env = readOtlpEnv({ OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'env-ca.pem'), OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: join(dir, 'env-cert.pem') });
    const tls = otlpSettings(config({ tls: { caFile: join(dir, 'config-ca.pem') } }), {}, env).tls;
    assert.equal(tls.ca?.toString(), 'config');
    assert.equal(tls.cert?.toString(), 'cert');
    assert.equal(tls.key, undefined);
  });
});
