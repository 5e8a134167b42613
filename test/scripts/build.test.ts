import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('the production bundle (scripts/build.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-bundle-'));
  before(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.ts'), '--outdir', join(dir, 'dist')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(build.status, 0, build.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports over gRPC (the exporter chunk finds @grpc/grpc-js)', { timeout: 90_000 }, async () => {
    const receiver = await grpcReceiver();
    const config = join(dir, 'grpc.yaml');
    writeFileSync(config, JSON.stringify({ sinks: [{ name: 'grpc', type: 'otlp', endpoint: receiver.url, protocol: 'grpc', batchTimeout: '200ms', initialBackoff: '200ms' }] }));
    const child = spawn(process.execPath, [join(dir, 'dist', 'eventrouter.js'), 'demo', '--config', config, '--interval', '200ms', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await waitFor(() => receiver.logs() > 0 || child.exitCode !== null || /export failed/.test(output), 'a gRPC export or a failure', 60_000);
      assert.doesNotMatch(output, /export failed/, output.slice(-2000));
      assert.ok(receiver.logs() > 0, output.slice(-2000));
    } finally {
      child.kill('SIGKILL');
      receiver.stop();
    }
  });
});
