import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileCheckpointStore } from '../../src/checkpoint/file-checkpoint-store.ts';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store.ts';

const checkpoint = (resourceVersion: string): Checkpoint => ({ version: 1, api: 'v1', scopes: { '': resourceVersion }, updatedAt: '2026-12-04T00:00:00.000Z' });

describe('FileCheckpointStore', () => {
  it('makes its directory, and makes it again when it went away between two saves', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cp-store-'));
    try {
      const path = join(root, 'a', 'b', 'checkpoint.json');
      const store = new FileCheckpointStore(path);
      await store.save(checkpoint('10'));
      assert.deepEqual(await store.load(), checkpoint('10'));
      rmSync(join(root, 'a'), { recursive: true });
      await store.save(checkpoint('11'));
      assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), checkpoint('11'));
      await store.save(checkpoint('12'));
      assert.deepEqual(await store.load(), checkpoint('12'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
