import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStartupFailure } from '../../src/cli/startup-failure.ts';
import { ConfigError } from '../../src/config-kit/config-error.ts';
import { ApiError } from '../../src/kube/kube-client.ts';
import { ListenError } from '../../src/server/http-server.ts';

describe('start-up failure', () => {
  it('a configuration error exits 2 on one line that names every key', () => {
    const { line, exitCode } = describeStartupFailure(new ConfigError(['sinks[0].endpoint: "x" is not a URL', 'server.listen: bad'], '/etc/eventrouter/config.yaml'));
    assert.equal(exitCode, 2);
    assert.equal(line, 'invalid configuration in /etc/eventrouter/config.yaml: - sinks[0].endpoint: "x" is not a URL - server.listen: bad');
  });

  it('a port that is busy or not permitted exits 1 (the environment is wrong, not the config)', () => {
    for (const code of ['EADDRINUSE', 'EACCES']) {
      const { line, exitCode } = describeStartupFailure(new ListenError('0.0.0.0:8080', code, 'listen failed'));
      assert.equal(exitCode, 1, code);
      assert.match(line, new RegExp(`^server\\.listen: cannot listen on "0\\.0\\.0\\.0:8080": .*\\(${code}\\)$`));
    }
  });

  it('an address that is not this machine\'s, or not an address at all, exits 2 naming the key', () => {
    for (const code of ['EADDRNOTAVAIL', 'ENOTFOUND', undefined]) {
      const { line, exitCode } = describeStartupFailure(new ListenError('10.9.9.9:8080', code, 'expected host:port', 'server.metricsListen'));
      assert.equal(exitCode, 2, String(code));
      assert.match(line, /^server\.metricsListen: cannot listen on "10\.9\.9\.9:8080"/);
    }
  });

  it('an API server that refuses exits 1, saying it was the Kubernetes API', () => {
    const { line, exitCode } = describeStartupFailure(new ApiError(403, 'Forbidden', 'HTTP 403: events is forbidden'));
    assert.deepEqual({ line, exitCode }, { line: 'Kubernetes API: HTTP 403: events is forbidden', exitCode: 1 });
  });

  it('anything else exits 1 with the first line of its message', () => {
    assert.deepEqual(describeStartupFailure(new Error('no Kubernetes cluster credentials found\n    at stack')), { line: 'start-up failed: no Kubernetes cluster credentials found', exitCode: 1 });
    assert.deepEqual(describeStartupFailure('a thrown string'), { line: 'start-up failed: a thrown string', exitCode: 1 });
    assert.deepEqual(describeStartupFailure(undefined), { line: 'start-up failed: undefined', exitCode: 1 });
  });
});
