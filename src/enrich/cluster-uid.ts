import type { KubeClient } from '../kube/kube-client.ts';
import type { Logger } from '../telemetry/logger.ts';

/**
 * The uid of the `kube-system` Namespace, which lives as long as the cluster (the semantic
 * conventions' `k8s.cluster.uid`); throws when it cannot be read (no RBAC `get` on namespaces,
 * an API error) or the Namespace has none.
 */
export async function readClusterUid(client: KubeClient): Promise<string> {
  const namespace = await client.json<{ metadata?: { uid?: unknown } }>('/api/v1/namespaces/kube-system', { timeoutMs: 10_000 });
  const uid = namespace.metadata?.uid;
  if (typeof uid === 'string' && uid !== '') return uid;
  throw new Error('the kube-system Namespace has no uid');
}

/**
 * {@link readClusterUid} for the records' `k8s.cluster.uid`: undefined (after a warning) when it
 * cannot be read, and the router runs on without the attribute. The checkpoint's cluster check
 * does not take that for an answer: `checkpoint/resume-point.ts` reads it again, and waits, not
 * ready, for as long as it cannot tell whether a stored checkpoint is this cluster's.
 */
export async function lookupClusterUid(client: KubeClient, logger?: Logger): Promise<string | undefined> {
  try {
    return await readClusterUid(client);
  } catch (error) {
    logger?.warn({ err: (error as Error).message }, 'cannot read the kube-system Namespace; k8s.cluster.uid is not set');
    return undefined;
  }
}
