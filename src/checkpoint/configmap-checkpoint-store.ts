import { ApiError, type KubeClient } from '../kube/kube-client.ts';
import { CheckpointFormatError } from './checkpoint-format-error.ts';
import { type Checkpoint, type CheckpointStore, isCheckpoint } from './checkpoint-store.ts';

const KEY = 'checkpoint.json';

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/**
 * The checkpoint in a ConfigMap of the router's namespace, so that a standby replica taking
 * over the Lease resumes where the old leader stopped. Writes use optimistic concurrency on the
 * ConfigMap's resourceVersion: a write based on a stale read fails with 409 instead of moving
 * the cursor backwards over another writer's progress.
 */
export class ConfigMapCheckpointStore implements CheckpointStore {
  readonly kind = 'configmap';
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;
  #resourceVersion: string | undefined;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
  }

  #path(name?: string): string {
    const base = `/api/v1/namespaces/${encodeURIComponent(this.#namespace)}/configmaps`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async load(): Promise<Checkpoint | undefined> {
    let cm: ConfigMap;
    try {
      cm = await this.#client.json<ConfigMap>(this.#path(this.#name));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.#resourceVersion = undefined;
        return undefined;
      }
      throw error;
    }
    this.#resourceVersion = cm.metadata.resourceVersion;
    const text = cm.data?.[KEY];
    if (text === undefined) return undefined;
    const location = `ConfigMap ${this.#namespace}/${this.#name} (key ${KEY})`;
    const remedy = `fix it, or delete the ConfigMap (kubectl -n ${this.#namespace} delete configmap ${this.#name}) to start over (a first start, under source.backfill)`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckpointFormatError(location, `not JSON: ${(error as Error).message}`, remedy);
    }
    if (!isCheckpoint(parsed)) throw new CheckpointFormatError(location, 'not the shape of a version 1 checkpoint', remedy);
    return parsed;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: this.#name, namespace: this.#namespace, labels: { 'app.kubernetes.io/name': 'eventrouter' } },
      data: { [KEY]: JSON.stringify(checkpoint) },
    };
    if (this.#resourceVersion === undefined) {
      try {
        const created = await this.#client.json<ConfigMap>(this.#path(), { method: 'POST', body });
        this.#resourceVersion = created.metadata.resourceVersion;
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        await this.load();
      }
    }
    body.metadata.resourceVersion = this.#resourceVersion;
    try {
      const updated = await this.#client.json<ConfigMap>(this.#path(this.#name), { method: 'PUT', body });
      this.#resourceVersion = updated.metadata.resourceVersion;
    } catch (error) {
      // Someone else wrote it (a previous leader's last write): re-read the version, retry on the next save.
      if (error instanceof ApiError && error.status === 409) await this.load().catch(() => undefined);
      throw error;
    }
  }
}
