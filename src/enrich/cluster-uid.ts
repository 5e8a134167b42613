import type { KubeClient } from '../kube/kube-client.ts';
import type { Logger } from '../telemetry/logger.ts';

/**
 * `k8s.cluster.uid` as the semantic conventions define it: the uid of the `kube-system`
 * Namespace, which lives as long as the cluster. Resolves undefined (after a warning) when it
 * cannot be read, e.g. without RBAC `get` on namespaces: the router runs on without it.
 */
export async function lookupClusterUid(client: KubeClient, logger?: Logger): Promise<string | undefined> {
  try {
    const namespace = await client.json<{ metadata?: { uid?: unknown } }>('/api/v1/namespaces/kube-system', { timeoutMs: 10_000 });
    const uid = namespace.metadata?.uid;
    if (typeof uid === 'string' && uid !== '') return uid;
    logger?.warn('the kube-system Namespace has no uid; k8s.cluster.uid is not set');
  } catch (error) {
    logger?.warn({ err: (error as Error).message }, 'cannot read the kube-system Namespace; k8s.cluster.uid is not set');
  }
  return undefined;
}
