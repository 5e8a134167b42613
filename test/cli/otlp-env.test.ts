/**
 * One configuration truth: the OTEL_EXPORTER_OTLP_* variables are checked by `config check` and
 * at start-up as the config file is (exit 2, the variable named), `config check` prints the sink
 * they produce, and the start-up line says what the router does. The real CLI, in its own process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { type Result, baseEnv, start, writeConfig, writeKubeconfig } from '../support/cli-process.ts';

/** The process's result; a process still running after `ms` is killed and fails the test (it would have run on). */
async function exited(args: string[], env: NodeJS.ProcessEnv, ms = 60_000): Promise<Result> {
  const { child, done } = start(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

describe('OTEL_EXPORTER_OTLP_* variables at the CLI', () => {
  let api: FakeApiServer;
  let kubeconfig: string;
  before(async () => {
    api = new FakeApiServer();
    await api.start();
    kubeconfig = writeKubeconfig('kubeconfig-otlp-env', api.url);
  });
  after(async () => api.stop());

  it('an endpoint without a scheme fails config check and run with exit 2, naming the variable', async () => {
    const env = baseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318', KUBECONFIG: kubeconfig, EVENTROUTER_LOG_LEVEL: 'error' });
    const check = await exited(['config', 'check'], env);
    assert.equal(check.code, 2, check.stderr);
    assert.match(check.stderr, /OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" has no scheme: write it as a URL \(e\.g\. http:\/\/localhost:4318/);
    // Before, the router started against the cluster and retried `Protocol "localhost:" not supported` forever.
    const run = await exited(['run', '--config', writeConfig('otlp-env-run.yaml', 'checkpoint: {store: none}\nserver: {listen: ""}\n')], env, 20_000);
    assert.equal(run.signal, null, `still running: ${run.stderr}`);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318"/);
  });

  it('refuses PROTOCOL=thrift, TIMEOUT=abc and COMPRESSION=zstd, each named', async () => {
    const result = await exited(['config', 'check'], baseEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_TIMEOUT: 'abc', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL: Invalid option/);
    assert.match(result.stderr, /OTEL_EXPORTER_OTLP_TIMEOUT: "abc" is not a whole number of milliseconds/);
    assert.match(result.stderr, /OTEL_EXPORTER_OTLP_COMPRESSION: Invalid option/);
  });

  it('config check prints the sink they produce: endpoint, protocol, compression, with secrets redacted', async () => {
    const result = await exited(['config', 'check'], baseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://tenant:s3cr3t@otlp.example.com',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t',
    }));
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /s3cr3t/);
    const [sink] = JSON.parse(result.stdout).sinks;
    assert.equal(sink.endpoint, 'https://<redacted>@otlp.example.com/v1/logs');
    assert.equal(sink.protocol, 'http/json');
    assert.equal(sink.compression, 'gzip');
    assert.equal(sink.timeout, '10s');
    assert.deepEqual(sink.headers, { authorization: '<redacted>' });
  });

  it('logs one start-up line with the version, API, scope, sinks with endpoints and protocols, checkpoint store and leader identity', async () => {
    const config = writeConfig('startup-line.yaml', [
      'source: {api: events.k8s.io/v1, namespaces: [apps, web]}',
      'checkpoint: {store: configmap, configMapName: er-cp}',
      'leaderElection: {enabled: true, leaseName: er-lease}',
      'server: {listen: ""}',
      'sinks: [{name: main, type: otlp}, {name: grpc, type: otlp, protocol: grpc, endpoint: "http://127.0.0.1:1"}, {name: out, type: stdout}]',
    ].join('\n'));
    const env = baseEnv({ KUBECONFIG: kubeconfig, POD_NAME: 'router-0', POD_NAMESPACE: 'ops', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    const { child, done } = start(['--config', config], env);
    let stderr = '';
    let line: Record<string, unknown>;
    try {
      line = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line: ${stderr}`)), 30_000);
        child.stderr?.on('data', (d) => {
          stderr += d;
          const found = stderr.split('\n').find((l) => l.includes('"eventrouter starting"'));
          if (found) {
            clearTimeout(timer);
            resolve(JSON.parse(found) as Record<string, unknown>);
          }
        });
        child.on('exit', () => reject(new Error(`exited without a start-up line: ${stderr}`)));
      });
    } finally {
      child.kill('SIGKILL');
      await done;
    }
    assert.match(String(line['version']), /^\d+\.\d+\.\d+/);
    assert.equal(line['api'], 'events.k8s.io/v1');
    assert.deepEqual(line['namespaces'], ['apps', 'web']);
    assert.deepEqual(line['sinks'], [
      { name: 'main', type: 'otlp', protocol: 'http/protobuf', endpoint: 'http://127.0.0.1:1/v1/logs', compression: 'gzip' },
      { name: 'grpc', type: 'otlp', protocol: 'grpc', endpoint: 'http://127.0.0.1:1', compression: 'none' },
      { name: 'out', type: 'stdout' },
    ]);
    assert.deepEqual(line['checkpoint'], { store: 'configmap', configMap: 'ops/er-cp' });
    const election = line['leaderElection'] as { lease: string; identity: string };
    assert.equal(election.lease, 'ops/er-lease');
    assert.match(election.identity, /^router-0_[0-9a-f-]{36}$/);
  });
});
