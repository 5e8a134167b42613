import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const CLUSTER = new URL('../../scripts/e2e-cluster', import.meta.url).pathname;

describe('scripts/e2e-cluster start-up check', () => {
  it('does not take a component for dead while its forked shell has yet to exec the binary', { skip: process.platform !== 'linux', timeout: 30_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-cluster-'));
    try {
      mkdirSync(join(dir, 'bin'));
      const fake = join(dir, 'bin', 'etcd');
      writeFileSync(fake, '#!/bin/bash\ntouch "$1"\nexec sleep 20\n');
      chmodSync(fake, 0o755);
      // `nohup BIN &` forks this shell, which execs the binary a moment later; the subshell here
      // stretches that moment to a second. Nothing in this shell's command line names the component.
      const script = `
        . "$CLUSTER"
        STATE=$DIR/state; mkdir -p "$STATE"; TIMEOUT=15
        ( sleep 1; exec "$FAKE" "$DIR/ready" ) >"$STATE/c.log" 2>&1 </dev/null &
        echo $! >"$STATE/$NAME.pid"
        wait_until "$NAME" "$STATE/c.log" test -e "$DIR/ready"
        kill "$(cat "$STATE/$NAME.pid")"
      `;
      const run = spawnSync('bash', ['-c', script], {
        env: { ...process.env, CLUSTER, DIR: dir, FAKE: fake, NAME: 'etcd', EVENTROUTER_E2E_CACHE: dir },
        encoding: 'utf8',
        timeout: 25_000,
      });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /etcd ready/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
