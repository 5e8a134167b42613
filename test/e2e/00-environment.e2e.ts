/**
 * The global check of the e2e suite: without the environment of `scripts/e2e-cluster env`
 * the suite FAILS with a message that says what to run (it never passes by skipping).
 * Also checks that the peers really are up: the API server answers /readyz and the
 * Collector's health endpoint answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REQUIRED_ENV, e2eEnv, kube, kubeOk } from './support.ts';

describe('e2e environment', () => {
  it('has every variable of scripts/e2e-cluster env', () => {
    const missing = REQUIRED_ENV.filter((name) => !process.env[name]);
    assert.deepEqual(
      missing,
      [],
      `missing ${missing.join(', ')}: run scripts/e2e-build && scripts/e2e-cluster start && eval "$(scripts/e2e-cluster env)" before npm run test:e2e`,
    );
    e2eEnv();
  });

  it('reaches the real kube-apiserver and the real Collector', async () => {
    // (Built from source without version ldflags, the binary reports v0.0.0-master; the pin is
    // in scripts/e2e-versions.sh.)
    const version = await kubeOk('GET', '/version');
    assert.equal(typeof version.gitVersion, 'string');
    assert.equal((await kube('GET', '/readyz')).status, 200);
    // The APIs the suite relies on are served.
    for (const path of ['/api/v1/events?limit=1', '/apis/events.k8s.io/v1/events?limit=1', '/apis/coordination.k8s.io/v1/leases?limit=1']) {
      assert.equal((await kube('GET', path)).status, 200, path);
    }
    const health = process.env['EVENTROUTER_E2E_OTELCOL_HEALTH'];
    if (health) {
      const res = await fetch(health, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200, 'Collector health_check');
    }
  });
});
