import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { otlpEntryProblems } from '../../../src/sinks/otlp/otlp-entry-check.ts';
import type { OtlpSinkConfig } from '../../../src/sinks/otlp/config.ts';
import { sinkSchema } from '../../../src/config/schema.ts';

const entry = (fields: Record<string, unknown>) => sinkSchema.parse({ name: 'otlp', type: 'otlp', ...fields }) as OtlpSinkConfig;
const context = (env: NodeJS.ProcessEnv = {}, firstOfKind = true) => ({ key: 'sinks[1]', env, firstOfKind });
const check = (fields: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, firstOfKind = true) => otlpEntryProblems(entry(fields), fields, context(env, firstOfKind));

describe('OTLP sink entry check (what the schema cannot see)', () => {
  let dir: string;
  let pem: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'otlp-entry-check-'));
    pem = join(dir, 'a.pem');
    writeFileSync(pem, 'not checked here, only that it exists');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing wrong with a plain entry, nor with one that leaves the endpoint to the environment', () => {
    assert.deepEqual(check({ endpoint: 'http://collector:4318' }), []);
    assert.deepEqual(check({ endpoint: 'collector:4317', protocol: 'grpc' }), []);
    assert.deepEqual(check({}), []);
    assert.deepEqual(check({ endpoint: 'https://collector:4318', tls: { caFile: pem, certFile: pem, keyFile: pem }, headers: { A: 'v', B: { env: 'SET' } } }, { SET: 'x' }), []);
  });

  it('refuses an endpoint its protocol cannot send to, naming the key', () => {
    assert.deepEqual(check({ endpoint: '/v1/logs' }), ['sinks[1].endpoint: "/v1/logs" is not a URL (e.g. http://collector:4318)']);
    assert.deepEqual(check({ endpoint: 'collector:4318' }), [
      'sinks[1].endpoint: "collector:4318" has no scheme: write it as a URL (e.g. http://collector:4318 or https://collector:4318)',
    ]);
    assert.deepEqual(check({ endpoint: 'ftp://collector:4318' }), [
      'sinks[1].endpoint: "ftp://collector:4318" must be an http:// or https:// URL (e.g. http://collector:4318); "ftp:" is not a protocol the exporter speaks',
    ]);
    assert.deepEqual(check({ endpoint: 'collector:99999', protocol: 'grpc' }), ['sinks[1].endpoint: "collector:99999": the port must be from 0 to 65535']);
  });

  it('judges the endpoint by OTEL_EXPORTER_OTLP_PROTOCOL when the first entry sets no protocol, and only the first', () => {
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    assert.deepEqual(check({ endpoint: 'collector:4317' }, env, true), [], 'grpc takes host:port');
    assert.equal(check({ endpoint: 'collector:4317' }, env, false).length, 1, 'a second entry does not read the variable: http/protobuf wants a URL');
    assert.equal(check({ endpoint: 'collector:4317', protocol: 'http/json' }, env, true).length, 1, 'the entry\'s protocol wins over the variable');
  });

  it('names each header that cannot be read at start-up', () => {
    const problems = check({ endpoint: 'http://c:4318', headers: { Token: { env: 'UNSET' }, Auth: { file: join(dir, 'missing') } } });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.equal(problems[0], 'sinks[1].headers.Token.env: environment variable UNSET is not set');
    assert.match(problems[1] ?? '', /^sinks\[1\]\.headers\.Auth\.file: cannot read .*missing/);
  });

  it('names each certificate file that does not exist, and a client certificate without its key (or the reverse)', () => {
    const missing = join(dir, 'nope.pem');
    assert.deepEqual(check({ endpoint: 'https://c:4318', tls: { caFile: missing, certFile: missing, keyFile: pem } }), [
      `sinks[1].tls.caFile: ${missing} does not exist`,
      `sinks[1].tls.certFile: ${missing} does not exist`,
    ]);
    assert.deepEqual(check({ endpoint: 'https://c:4318', tls: { certFile: pem } }), ['sinks[1].tls: certFile and keyFile go together (mTLS)']);
    assert.deepEqual(check({ endpoint: 'https://c:4318', tls: { keyFile: pem } }), ['sinks[1].tls: certFile and keyFile go together (mTLS)']);
  });

  it('still checks the endpoint of an entry the schema refused for another reason, so every problem is reported at once', () => {
    const raw = { name: 'otlp', type: 'otlp', endpoint: 'collector:4318', drop: [{ kind: '/(?=x)/' }] };
    assert.equal(sinkSchema.safeParse(raw).success, false);
    assert.deepEqual(otlpEntryProblems(undefined, raw, context()), [
      'sinks[1].endpoint: "collector:4318" has no scheme: write it as a URL (e.g. http://collector:4318 or https://collector:4318)',
    ]);
    assert.deepEqual(otlpEntryProblems(undefined, { ...raw, protocol: 'grpc', endpoint: 'collector:4317' }, context()), [], 'with the protocol written beside it');
    assert.deepEqual(otlpEntryProblems(undefined, { ...raw, endpoint: 4318 }, context()), [], 'an endpoint that is not a string is the schema\'s problem, reported once');
  });
});
