import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { otlpSinkShape } from '../../../src/sinks/otlp/config.ts';
import { otlpEnvProblems as checkWithShape } from '../../../src/sinks/otlp/otlp-env-check.ts';

/** The check as the otlp kind runs it, with its own keys' rules. */
const otlpEnvProblems = (sink: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] => checkWithShape(sink, env, otlpSinkShape);

const dir = mkdtempSync(join(tmpdir(), 'eventrouter-otlp-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pem = (name: string): string => {
  const path = join(dir, name);
  writeFileSync(path, '-----BEGIN CERTIFICATE-----\n');
  return path;
};

describe('checking the OTEL_EXPORTER_OTLP_* variables', () => {
  it('finds nothing wrong when none is set, or each is blank (blank counts as unset)', () => {
    assert.deepEqual(otlpEnvProblems({}, {}), []);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: ' ', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_HEADERS: '  ' }), []);
  });

  it('takes every valid value', () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      OTEL_EXPORTER_OTLP_INSECURE: 'TRUE',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-tenant=team-a,',
      OTEL_EXPORTER_OTLP_CERTIFICATE: pem('ca.pem'),
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pem('cert.pem'),
      OTEL_EXPORTER_OTLP_CLIENT_KEY: pem('key.pem'),
    };
    assert.deepEqual(otlpEnvProblems({}, env), []);
  });

  it('refuses a protocol, compression or timeout with the rule, and message, of the key it stands in for', () => {
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }), [
      'OTEL_EXPORTER_OTLP_PROTOCOL: Invalid option: expected one of "http/protobuf"|"http/json"|"grpc"',
      'OTEL_EXPORTER_OTLP_COMPRESSION: Invalid option: expected one of "gzip"|"none"',
    ]);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_TIMEOUT: '1.5' }), ['OTEL_EXPORTER_OTLP_TIMEOUT: "1.5" is not a whole number of milliseconds (e.g. 10000)']);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_TIMEOUT: '-1' }), ['OTEL_EXPORTER_OTLP_TIMEOUT: "-1" is not a whole number of milliseconds (e.g. 10000)']);
    assert.match(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_TIMEOUT: '0' })[0] ?? '', /^OTEL_EXPORTER_OTLP_TIMEOUT: must be above 0/);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_INSECURE: 'yes' }), ['OTEL_EXPORTER_OTLP_INSECURE: "yes" is not true or false']);
  });

  it('checks the _LOGS_ variable when it is set (it wins), and names it', () => {
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' }), []);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'lz4' }), ['OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: Invalid option: expected one of "gzip"|"none"']);
  });

  it('does not check a variable whose key the sink entry sets (the entry wins)', () => {
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd', OTEL_EXPORTER_OTLP_TIMEOUT: 'soon', OTEL_EXPORTER_OTLP_ENDPOINT: 'nowhere', OTEL_EXPORTER_OTLP_INSECURE: 'maybe' };
    assert.equal(otlpEnvProblems({}, env).length, 5);
    assert.deepEqual(otlpEnvProblems({ protocol: 'grpc', compression: 'gzip', timeout: '5s', endpoint: 'http://c:4317', insecure: true }, env), []);
  });

  it('checks the endpoint against the protocol in force: the entry\'s, else a valid variable\'s, else http/protobuf', () => {
    const bare = { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' };
    assert.deepEqual(otlpEnvProblems({ protocol: 'grpc' }, bare), []);
    assert.deepEqual(otlpEnvProblems({}, { ...bare, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), []);
    assert.match(otlpEnvProblems({}, bare)[0] ?? '', /^OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" must be an http:\/\/ or https:\/\/ URL/);
    // An invalid protocol is reported once; the endpoint is then judged as http/protobuf.
    assert.deepEqual(otlpEnvProblems({}, { ...bare, OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }).map((p) => p.split(':')[0]), ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
    assert.match(otlpEnvProblems({ protocol: 'grpc' }, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector:99999' })[0] ?? '', /^OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: .*port must be from 0 to 65535/);
  });

  it('refuses a headers entry that is not key=value, naming its position and never its value (a secret)', () => {
    const problems = otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a,Bearer s3cret-token', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'ok=1,,=nokey' });
    assert.deepEqual(problems, [
      'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value (comma-separated, values percent-encoded, e.g. Authorization=Bearer%20TOKEN)',
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS: entry 3 is not key=value (comma-separated, values percent-encoded, e.g. Authorization=Bearer%20TOKEN)',
    ]);
    assert.ok(!problems.join('\n').includes('s3cret'));
  });

  it('refuses a certificate file that does not exist, unless the entry sets its own', () => {
    const missing = join(dir, 'missing.pem');
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_CERTIFICATE: missing }), [`OTEL_EXPORTER_OTLP_CERTIFICATE: ${missing} does not exist`]);
    assert.deepEqual(otlpEnvProblems({ tls: { caFile: pem('own-ca.pem') } }, { OTEL_EXPORTER_OTLP_CERTIFICATE: missing }), []);
  });

  it('refuses a client certificate without its key (or a key without its certificate): mTLS needs both', () => {
    const cert = pem('c.pem');
    const key = pem('k.pem');
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: cert }), [
      'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together (mTLS)',
    ]);
    assert.deepEqual(otlpEnvProblems({}, { OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: key }).map((p) => p.split(':')[0]), ['OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY']);
    // The other half may come from the entry's tls.
    assert.deepEqual(otlpEnvProblems({ tls: { keyFile: key } }, { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: cert }), []);
    // An entry's own half-pair is its key's problem, not the environment's.
    assert.deepEqual(otlpEnvProblems({ tls: { certFile: cert } }, {}), []);
  });
});
