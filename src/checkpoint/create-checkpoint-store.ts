import type { CheckpointConfig } from './config.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { podNamespace } from '../kube/pod-namespace.ts';
import { type CheckpointStore, NoCheckpointStore } from './checkpoint-store.ts';
import { ConfigMapCheckpointStore } from './configmap-checkpoint-store.ts';
import { FileCheckpointStore } from './file-checkpoint-store.ts';

/** The store that `checkpoint.*` configures. */
export function createCheckpointStore(config: CheckpointConfig, client: KubeClient, env: NodeJS.ProcessEnv): CheckpointStore {
  switch (config.store) {
    case 'file':
      return new FileCheckpointStore(config.path);
    case 'none':
      return new NoCheckpointStore();
    case 'configmap':
      return new ConfigMapCheckpointStore(client, config.namespace || podNamespace(env), config.configMapName);
  }
}
