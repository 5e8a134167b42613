import type { KubeClient } from '../kube/kube-client.ts';
import type { EventApi } from './config.ts';
import { eventsPath } from './events-path.ts';

/**
 * The cluster's current resourceVersion (the etcd revision), learnt cheaply: a LIST of one
 * Event without a resourceVersion is a quorum read whose `metadata.resourceVersion` is the
 * revision at that instant. Listed in the scope the router watches, so it needs no RBAC beyond
 * what the source already has. Throws on any failure (the caller retries).
 */
export async function currentResourceVersion(
  client: KubeClient,
  api: EventApi,
  namespace: string,
  signal?: AbortSignal,
): Promise<string> {
  const list = await client.json<{ metadata?: { resourceVersion?: unknown } } | null>(`${eventsPath(api, namespace)}?limit=1`, {
    ...(signal ? { signal } : {}),
    timeoutMs: 30_000,
  });
  const rv = list?.metadata?.resourceVersion;
  if (typeof rv !== 'string' || rv === '') throw new Error(`LIST ${eventsPath(api, namespace)} carried no resourceVersion`);
  return rv;
}
