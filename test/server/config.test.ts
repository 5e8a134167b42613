import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverConfigSchema } from '../../src/server/config.ts';
import { LISTEN_HINT } from '../../src/config-kit/addresses.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('server config', () => {
  it('serves every endpoint on 0.0.0.0:8080 by default and names a sink stalled after 5m', () => {
    assert.deepEqual(serverConfigSchema.parse(undefined), { listen: '0.0.0.0:8080', deliveryStallThreshold: 300_000 });
    assert.equal('metricsListen' in serverConfigSchema.parse({}), false, 'unset: /metrics stays on server.listen');
  });

  it('takes "" to disable either listener, and a loopback address for /metrics alone', () => {
    assert.deepEqual(serverConfigSchema.parse({ listen: '', metricsListen: '127.0.0.1:9090', deliveryStallThreshold: '30s' }), {
      listen: '',
      metricsListen: '127.0.0.1:9090',
      deliveryStallThreshold: 30_000,
    });
    assert.equal(serverConfigSchema.parse({ metricsListen: '' }).metricsListen, '');
  });

  it('refuses what is not host:port, a bad duration and an unknown key, each by its key', () => {
    assert.deepEqual(problems(serverConfigSchema, { listen: '8080', metricsListen: 'localhost:70000', deliveryStallThreshold: 'soon', port: 1 }), [
      `listen: "8080": ${LISTEN_HINT}`,
      'deliveryStallThreshold: invalid duration "soon" (use e.g. 500ms, 15s, 10m, 1h30m)',
      `metricsListen: "localhost:70000": ${LISTEN_HINT}`,
      'port: unknown key',
    ]);
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(serverConfigSchema), []);
    assert.ok(serverConfigSchema.description);
  });
});
