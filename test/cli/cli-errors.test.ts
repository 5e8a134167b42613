/**
 * Errors that say what to do: each start-up failure is one line naming the key or the place to
 * fix, then exit 2 (configuration) or 1 (runtime), and the process never hangs. Every test runs
 * the real CLI in its own process.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { type Result, baseEnv, dir, start, writeConfig, writeKubeconfig } from '../support/cli-process.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';
import { freePort } from '../support/free-port.ts';

/** The process's result, or a failure (after killing it) if it has not exited within `ms`: a hang, not a slow exit. */
async function exited(args: string[], env: NodeJS.ProcessEnv = baseEnv(), ms = 60_000): Promise<Result> {
  const { child, done } = start(args, env);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`eventrouter ${args.join(' ')} did not exit within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([done, hung]);
  } finally {
    clearTimeout(timer);
  }
}


const ERROR_LINES = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('eventrouter: '));

describe('CLI errors that say what to do', () => {
  it('with no cluster credentials at all: says so, where it looked, and exits 1', async () => {
    const result = await exited([], baseEnv());
    assert.equal(result.code, 1, result.stderr);
    const [line, ...more] = ERROR_LINES(result.stderr);
    assert.deepEqual(more, [], result.stderr);
    assert.match(line ?? '', /no Kubernetes cluster credentials found/);
    assert.match(line ?? '', /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/);
    assert.match(line ?? '', /\$KUBECONFIG \(not set\)/);
    assert.ok(line?.includes(join(dir, '.kube', 'config')), line);
    assert.doesNotMatch(result.stderr, /HTTP protocol is not allowed/);
  });

  it('with KUBECONFIG naming a file that does not exist: names it and exits 1', async () => {
    const missing = join(dir, 'no-such-kubeconfig');
    const result = await exited([], baseEnv({ KUBECONFIG: missing }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`KUBECONFIG names ${missing}, which does not exist`));
  });

  it('with a kubeconfig that is not valid YAML: names the file, exits 1', async () => {
    const broken = writeConfig('broken-kubeconfig', 'apiVersion: v1\nclusters:\n- name: x\n cluster: {}\n');
    const result = await exited([], baseEnv({ KUBECONFIG: broken }));
    assert.equal(result.code, 1, result.stderr);
    const [line, ...more] = ERROR_LINES(result.stderr);
    assert.deepEqual(more, [], result.stderr);
    assert.ok(line?.startsWith(`eventrouter: cannot load the kubeconfig ${broken}: `), line);
    assert.match(line ?? '', /indentation/);
  });

  it('refuses --log-level verbose with exit 2 and the allowed levels, as it refuses EVENTROUTER_LOG_LEVEL (no stack trace)', async () => {
    const flag = await exited(['config', 'check', '--log-level', 'verbose']);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /^eventrouter: --log-level: "verbose" is not a log level; use one of trace\|debug\|info\|warn\|error\|fatal\|silent\n/);
    assert.doesNotMatch(flag.stderr, /\n\s+at /, 'no stack trace');
    const variable = await exited(['config', 'check'], baseEnv({ EVENTROUTER_LOG_LEVEL: 'verbose' }));
    assert.equal(variable.code, 2, variable.stderr);
    assert.match(variable.stderr, /log\.level: Invalid option: expected one of "trace"\|"debug"\|"info"\|"warn"\|"error"\|"fatal"\|"silent"/);
  });

  it('config check prints durations as written, so its output is a config it accepts as it is', async () => {
    const path = writeConfig('durations.yaml', [
      'source: {watchTimeout: 1h30m, inactivityTimeout: 90s, minBackoff: 250ms}',
      'checkpoint: {store: file, path: /tmp/x.json, interval: 1500ms}',
      'sinks: [{name: out, type: stdout, batchTimeout: 2s, throttle: {limit: 3, interval: 10m}}]',
    ].join('\n'));
    const first = await exited(['config', 'check', '--config', path]);
    assert.equal(first.code, 0, first.stderr);
    const printed = JSON.parse(first.stdout);
    assert.equal(printed.source.watchTimeout, '1h30m');
    assert.equal(printed.source.inactivityTimeout, '1m30s');
    assert.equal(printed.source.minBackoff, '250ms');
    assert.equal(printed.checkpoint.interval, '1s500ms');
    assert.equal(printed.sinks[0].throttle.interval, '10m');
    assert.equal(printed.shutdownTimeout, '25s');
    const again = await exited(['config', 'check', '--config', writeConfig('printed.json', first.stdout)]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first.stdout, 'the same effective config');
  });

  it('refuses an OTLP endpoint that is not an http(s) URL, naming the key; grpc also takes host:port', async () => {
    const bad = await exited(['config', 'check', '--config', writeConfig('endpoint.yaml', [
      'selfMetrics: {otlpEndpoint: "otel:4318"}',
      'sinks:',
      '  - {name: a, type: otlp, endpoint: "otel:4318"}',
      '  - {name: b, type: otlp, protocol: grpc, endpoint: "ftp://collector:4317"}',
    ].join('\n'))]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sinks\[0\]\.endpoint: "otel:4318" has no scheme: write it as a URL/);
    assert.match(bad.stderr, /sinks\[1\]\.endpoint: "ftp:\/\/collector:4317"/);
    assert.match(bad.stderr, /selfMetrics\.otlpEndpoint: "otel:4318"/);
    const grpc = await exited(['config', 'check', '--config', writeConfig('grpc.yaml', 'sinks: [{name: g, type: otlp, protocol: grpc, endpoint: "collector:4317"}]\n')]);
    assert.equal(grpc.code, 0, grpc.stderr);
  });

  it('prints every problem at once: a bad regular expression and an endpoint together with schema errors', async () => {
    const result = await exited(['config', 'check', '--config', writeConfig('all-at-once.yaml', [
      'source: {api: core/v2}',
      'drop: [{reason: "/([/"}]',
      'sinks: [{name: a, type: otlp, endpoint: "otel:4318", match: [{namespace: "/(/"}]}]',
    ].join('\n'))]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /source\.api:/);
    assert.match(result.stderr, /drop\[0\]\.reason:/);
    assert.match(result.stderr, /sinks\[0\]\.match\[0\]\.namespace:/);
    assert.match(result.stderr, /sinks\[0\]\.endpoint:/);
  });

  it('config check refuses a server.listen port out of range, naming the key (the forms: test/config)', async () => {
    const result = await exited(['config', 'check', '--config', writeConfig('listen.yaml', 'server: {listen: "0.0.0.0:70000"}\n')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /server\.listen: "0\.0\.0\.0:70000": expected host:port with a port from 0 to 65535/);
  });

  describe('against a cluster', () => {
    let api: FakeApiServer;
    let busy: Server;
    let busyPort: number;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      api = new FakeApiServer();
      await api.start();
      env = baseEnv({ KUBECONFIG: writeKubeconfig('kubeconfig-errors', api.url), EVENTROUTER_LOG_LEVEL: 'error' });
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      busyPort = (busy.address() as { port: number }).port;
    });
    after(async () => {
      await api.stop();
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    });

    it('on a busy server.listen port: one line naming the key, exit 1, no hang', async () => {
      const config = writeConfig('busy.yaml', [
        `server: {listen: "127.0.0.1:${busyPort}"}`,
        'checkpoint: {store: none}',
        'sinks: [{name: out, type: stdout}]',
      ].join('\n'));
      const result = await exited(['--config', config], env);
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(result.stderr.trim().split('\n'), [
        `eventrouter: server.listen: cannot listen on "127.0.0.1:${busyPort}": is already in use; stop the process that holds it or choose another port (EADDRINUSE)`,
      ]);
    });
  });

  describe('replay', () => {
    const dump = join(FIXTURES_DIR, 'troubleshoot-supportbundle-default-eventlist.json');

    it('against a dead endpoint: states 0 delivered and what is pending, per sink, and exits 1', async () => {
      const port = await freePort();
      const config = writeConfig('replay-dead.yaml', [
        'shutdownTimeout: 1s',
        `sinks: [{name: dead, type: otlp, endpoint: "http://127.0.0.1:${port}", initialBackoff: 50ms, maxBackoff: 100ms}, {name: out, type: stdout}]`,
      ].join('\n'));
      const result = await exited(['replay', dump, '--config', config], baseEnv({ EVENTROUTER_LOG_LEVEL: 'error' }));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /: 5 events read\n/);
      assert.match(result.stderr, /sink dead: 0 delivered, 0 failed, 5 pending/);
      assert.match(result.stderr, /sink out: 5 delivered, 0 failed, 0 pending/);
      assert.doesNotMatch(result.stderr, /replayed 5 events/);
    });

    it('of a file that is not an event dump: says so and exits 2', async () => {
      // The other shapes that are not a dump: test/cli/read-dump.test.ts.
      const result = await exited(['replay', writeConfig('notes.txt', 'just some words\n')]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /eventrouter: cannot replay .*notes\.txt: the file is a string, not an object or a list/);
    });

    it('everything delivered: exit 0 and the per-sink summary', async () => {
      const result = await exited(['replay', dump], baseEnv({ EVENTROUTER_LOG_LEVEL: 'error' }));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /sink stdout: 5 delivered, 0 failed, 0 pending/);
    });
  });

  it('demo --config examples/three-sinks.yaml is self-contained and names every sink in its summary', async () => {
    // The example as shipped, on ports free on this (shared) machine.
    const [loki, elastic] = [await freePort(), await freePort()];
    const example = readFileSync(new URL('../../examples/three-sinks.yaml', import.meta.url), 'utf8')
      .replace('127.0.0.1:14318', `127.0.0.1:${loki}`)
      .replace('127.0.0.1:24318', `127.0.0.1:${elastic}`)
      .replace('listen: 127.0.0.1:8080', 'listen: 127.0.0.1:0');
    const result = await exited(['demo', '--config', writeConfig('three-sinks.yaml', example), '--duration', '3s', '--interval', '200ms'], baseEnv({ EVENTROUTER_LOG_LEVEL: 'error' }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`nothing listened at http://127\\.0\\.0\\.1:${loki} \\(sink loki\\)`));
    assert.match(result.stdout, new RegExp(`nothing listened at http://127\\.0\\.0\\.1:${elastic} \\(sink elastic\\)`), 'the demo answered at the elastic sink too');
    const outcome = (sink: string) => {
      const match = new RegExp(`sink ${sink}: (\\d+) delivered, 0 failed, 0 pending`).exec(result.stdout);
      assert.ok(match, `${sink} in the summary:\n${result.stdout.slice(-400)}`);
      return Number(match[1]);
    };
    assert.ok(outcome('loki') > 0);
    assert.ok(outcome('elastic') > 0, 'the simulated cluster plays Warnings');
    assert.ok(outcome('efk') > 0, 'and events in namespace ml');
  });
});
