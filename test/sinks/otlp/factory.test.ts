import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { factory } from '../../../src/sinks/otlp/factory.ts';
import { OtlpSink } from '../../../src/sinks/otlp/otlp-sink.ts';
import type { OtlpSinkConfig } from '../../../src/sinks/otlp/config.ts';
import { ConfigError } from '../../../src/config-kit/config-error.ts';
import { sinkSchema } from '../../../src/config/schema.ts';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { podEvent } from '../../support/harness.ts';
import { OtlpReceiver } from '../../support/otlp-receiver.ts';
import { grpcReceiver } from '../../support/grpc-receiver.ts';

const SCOPE = { name: 'eventrouter', version: '9.9.9-test' };
const record = () => mapEvent(normalizeEvent(podEvent()), 'ADDED');
const entry = (fields: Record<string, unknown>) => sinkSchema.parse({ name: 'otlp-a', type: 'otlp', ...fields }) as OtlpSinkConfig;
const context = (env: NodeJS.ProcessEnv = {}, firstOfKind = true, key = 'sinks[0]') => ({ scope: SCOPE, env, key, firstOfKind });

describe('OTLP sink factory', () => {
  let receiver: OtlpReceiver;
  let dir: string;
  before(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'otlp-factory-'));
  });
  after(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => receiver.reset());

  it('builds an OTLP sink named as its entry that exports a record to the entry\'s endpoint, with the scope as user agent', async () => {
    const sink = factory(entry({ endpoint: receiver.url }), context());
    assert.ok(sink instanceof OtlpSink);
    assert.equal(sink.name, 'otlp-a');
    await sink.start();
    assert.deepEqual(await sink.export([record()]), { ok: true });
    assert.equal(receiver.logs.length, 1);
    assert.equal(receiver.logs[0]?.scope.name, 'eventrouter');
    assert.equal(receiver.requests[0]?.contentType, 'application/x-protobuf');
    assert.match(String(receiver.requests[0]?.headers['user-agent']), /^eventrouter\/9\.9\.9-test/);
    await sink.shutdown();
  });

  it('builds a gRPC sink from a grpc entry', async () => {
    const server = await grpcReceiver();
    try {
      const sink = factory(entry({ endpoint: server.url, protocol: 'grpc' }), context());
      await sink.start();
      assert.deepEqual(await sink.export([record()]), { ok: true });
      assert.equal(server.logs(), 1);
      await sink.shutdown();
    } finally {
      server.stop();
    }
  });

  it('resolves header values from the context\'s environment and from files', async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'from-file\n');
    const sink = factory(entry({ endpoint: receiver.url, headers: { 'X-Tenant': { env: 'TENANT' }, Authorization: { file: token }, 'X-Static': 'v' } }), context({ TENANT: 'team-a' }));
    await sink.start();
    await sink.export([record()]);
    const headers = receiver.requests[0]?.headers ?? {};
    assert.deepEqual([headers['x-tenant'], headers['authorization'], headers['x-static']], ['team-a', 'from-file', 'v']);
    await sink.shutdown();
  });

  it('names every header it cannot read at once, under the entry\'s key', () => {
    assert.throws(
      () => factory(entry({ endpoint: receiver.url, headers: { A: { env: 'UNSET_VAR' }, B: { file: join(dir, 'missing') }, C: 'ok' } }), context({}, false, 'sinks[2]')),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 2, error.message);
        assert.equal(error.problems[0], 'sinks[2].headers.A.env: environment variable UNSET_VAR is not set');
        assert.match(error.problems[1] ?? '', /^sinks\[2\]\.headers\.B\.file: cannot read .*missing/);
        return true;
      },
    );
  });

  it('takes the OTEL_EXPORTER_OTLP_* variables for the first entry of its kind only', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=first-only' };
    const first = factory(entry({}), context(env, true));
    await first.start();
    assert.deepEqual(await first.export([record()]), { ok: true }, 'the endpoint comes from the environment');
    assert.equal(receiver.requests[0]?.headers['authorization'], 'first-only');
    await first.shutdown();

    const second = factory(entry({ name: 'otlp-b', endpoint: receiver.url }), context(env, false, 'sinks[1]'));
    await second.start();
    assert.deepEqual(await second.export([record()]), { ok: true });
    assert.equal(receiver.requests[1]?.headers['authorization'], undefined, 'a second sink does not inherit the first one\'s auth header');
    await second.shutdown();
  });

  it('lets the entry\'s header win over the variable\'s of the same name', async () => {
    const sink = factory(entry({ endpoint: receiver.url, headers: { authorization: 'entry' } }), context({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=env' }));
    await sink.start();
    await sink.export([record()]);
    assert.equal(receiver.requests[0]?.headers['authorization'], 'entry');
    await sink.shutdown();
  });
});
