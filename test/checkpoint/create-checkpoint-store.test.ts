import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store.ts';
import { createCheckpointStore } from '../../src/checkpoint/create-checkpoint-store.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';

const CONFIGMAPS = '/api/v1/configmaps';
const checkpoint: Checkpoint = { version: 1, api: 'core/v1', scopes: { '': '42' }, updatedAt: '2026-01-01T00:00:00Z' };
const checkpointConfig = (raw: Record<string, unknown>) => parseConfig({ checkpoint: raw }, {}).checkpoint;

describe('creating the checkpoint store', () => {
  const api = new FakeApiServer();
  let client: KubeClient;
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-store-'));
  before(async () => {
    await api.start();
    client = KubeClient.fromServer(api.url);
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('store "file" keeps the checkpoint at checkpoint.path', async () => {
    const path = join(dir, 'cp.json');
    const store = createCheckpointStore(checkpointConfig({ store: 'file', path }), client, {});
    assert.equal(store.kind, 'file');
    await store.save(checkpoint);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), checkpoint);
    assert.deepEqual(await store.load(), checkpoint);
  });

  it('store "none" keeps nothing: every start is a first start', async () => {
    const store = createCheckpointStore(checkpointConfig({ store: 'none' }), client, {});
    assert.equal(store.kind, 'none');
    await store.save(checkpoint);
    assert.equal(await store.load(), undefined);
  });

  it('store "configmap" keeps it in checkpoint.configMapName, in checkpoint.namespace', async () => {
    const store = createCheckpointStore(checkpointConfig({ store: 'configmap', namespace: 'team', configMapName: 'cp' }), client, { POD_NAMESPACE: 'obs' });
    assert.equal(store.kind, 'configmap');
    await store.save(checkpoint);
    assert.ok(api.get(CONFIGMAPS, 'team', 'cp'), 'the ConfigMap in the configured namespace');
    assert.equal(api.get(CONFIGMAPS, 'obs', 'cp'), undefined);
    assert.deepEqual(await store.load(), checkpoint);
  });

  it('store "configmap" without a namespace keeps it next to the pod (POD_NAMESPACE), else in "default"', async () => {
    await createCheckpointStore(checkpointConfig({ store: 'configmap' }), client, { POD_NAMESPACE: 'obs' }).save(checkpoint);
    assert.ok(api.get(CONFIGMAPS, 'obs', 'eventrouter-checkpoint'));
    await createCheckpointStore(checkpointConfig({ store: 'configmap' }), client, {}).save(checkpoint);
    assert.ok(api.get(CONFIGMAPS, 'default', 'eventrouter-checkpoint'));
  });
});
