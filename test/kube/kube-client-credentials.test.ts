import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { CredentialsTimeoutError, KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/**
 * A kubeconfig exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`) that hangs
 * must not stall every request for ever, nor start one child process per retry.
 */
describe('KubeClient with an exec credential plugin', () => {
  let api: FakeApiServer;
  let dir: string;
  before(async () => {
    api = new FakeApiServer();
    await api.start();
    dir = mkdtempSync(join(tmpdir(), 'er-exec-'));
  });
  after(async () => {
    writeFileSync(join(dir, 'release'), '');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A plugin that counts its runs, then waits until the test creates `release`, then prints a token. */
  function client(credentialsTimeoutMs: number): { client: KubeClient; runs: () => number; plugin: string } {
    const plugin = join(dir, 'get-token');
    const runs = join(dir, 'runs');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho run >> '${runs}'\ni=0\nwhile [ ! -e '${join(dir, 'release')}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n` +
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0ken"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'c', server: api.url, skipTLSVerify: true },
      { name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: [], interactiveMode: 'Never' } } as never,
    );
    return { client: new KubeClient(kc, { credentialsTimeoutMs }), runs: () => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0), plugin };
  }

  it('fails each waiting request with an error naming the plugin, runs it once, and recovers when it answers', { timeout: 60_000 }, async () => {
    const { client: kube, runs, plugin } = client(300);
    const attempts = await Promise.allSettled([1, 2, 3].map(() => kube.json('/api/v1/namespaces')));
    for (const attempt of attempts) {
      assert.equal(attempt.status, 'rejected');
      const error = (attempt as PromiseRejectedResult).reason as Error;
      assert.ok(error instanceof CredentialsTimeoutError, String(error));
      assert.match(error.message, new RegExp(`exec plugin ${plugin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*0\\.3s`));
    }
    // A retry while the plugin still hangs waits for the same run instead of starting another.
    await assert.rejects(kube.json('/api/v1/namespaces'), CredentialsTimeoutError);
    await waitFor(() => runs() >= 1, 'the plugin to start');
    assert.equal(runs(), 1, 'one plugin process for all the requests');
    writeFileSync(join(dir, 'release'), '');
    await waitFor(async () => {
      try {
        await kube.json('/api/v1/namespaces');
        return true;
      } catch (error) {
        if (error instanceof CredentialsTimeoutError) return false;
        throw error;
      }
    }, 'a request to succeed once the plugin answered', 30_000);
    assert.equal(runs(), 1, 'the token it printed (no expiry) is cached');
  });

  it('an aborted request ends at once, without waiting for the credentials', { timeout: 60_000 }, async () => {
    rmSync(join(dir, 'release'), { force: true });
    rmSync(join(dir, 'runs'), { force: true });
    const { client: kube } = client(60_000);
    const abort = new AbortController();
    const pending = kube.json('/api/v1/namespaces', { signal: abort.signal });
    abort.abort(new Error('shutting down'));
    await assert.rejects(pending, /shutting down/);
    writeFileSync(join(dir, 'release'), '');
  });
});
