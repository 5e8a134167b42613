import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/config-kit/config-error.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { loadConfigIsolated } from '../../src/config/load-config-isolated.ts';

const dir = mkdtempSync(join(tmpdir(), 'eventrouter-config-isolated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loading the config in a worker', () => {
  it('resolves with the same config as loading it in this thread (durations, defaults, env applied)', async () => {
    const path = file('ok.yaml', 'source:\n  minBackoff: 250ms\ncheckpoint:\n  store: none\nsinks:\n  - name: out\n    type: stdout\n');
    const env = { EVENTROUTER_CLUSTER_NAME: 'prod-eu' };
    const config = await loadConfigIsolated(path, env);
    assert.deepEqual(config, loadConfig(path, env));
    assert.equal(config.clusterName, 'prod-eu');
    assert.equal(config.source.minBackoff, 250);
  });

  it('rejects an invalid config with a ConfigError that lists every key and names the file', async () => {
    const path = file('bad.yaml', 'server:\n  listen: nowhere\ncheckpoint:\n  store: somewhere\n');
    const error = await loadConfigIsolated(path, {}).then(
      () => assert.fail('an invalid config was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.code, 'E_CONFIG_INVALID');
    assert.equal(error.problems.length, 2, error.problems.join('\n'));
    assert.ok(error.problems.some((p) => p.startsWith('server.listen: ')));
    assert.ok(error.problems.some((p) => p.startsWith('checkpoint.store: ')));
    assert.match(error.message, new RegExp(`^invalid configuration in ${path.replace(/[.]/g, '\\.')}:\\n  - `));
  });

  it('rejects a YAML syntax error, naming the line, as a ConfigError', async () => {
    const path = file('syntax.yaml', 'sinks:\n  - name: [unclosed\n');
    await assert.rejects(loadConfigIsolated(path, {}), (error: unknown) => error instanceof ConfigError && /^\(yaml\) line \d+: /.test(error.problems[0] ?? ''));
  });

  it('uses the environment given, not process.env', async () => {
    await assert.rejects(loadConfigIsolated(undefined, { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }), (error: unknown) =>
      error instanceof ConfigError && error.problems[0] === 'OTEL_EXPORTER_OTLP_TIMEOUT: "10s" is not a whole number of milliseconds (e.g. 10000)',
    );
    assert.deepEqual(await loadConfigIsolated(undefined, {}), loadConfig(undefined, {}));
  });

  it('reads process.env when no environment is given', async () => {
    const saved = process.env['EVENTROUTER_CLUSTER_NAME'];
    process.env['EVENTROUTER_CLUSTER_NAME'] = 'from-process-env';
    try {
      assert.equal((await loadConfigIsolated(undefined)).clusterName, 'from-process-env');
    } finally {
      if (saved === undefined) delete process.env['EVENTROUTER_CLUSTER_NAME'];
      else process.env['EVENTROUTER_CLUSTER_NAME'] = saved;
    }
  });
});
