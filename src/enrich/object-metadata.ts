import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { type KubeClient, toApiError } from '../kube/kube-client.ts';

/**
 * Asks for `PartialObjectMetadata` (labels, annotations, ownerReferences) instead of the whole
 * object; an API server that cannot serve it falls back to the full object (the second type).
 */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface GetOptions {
  /** Metadata only (default) or the whole object. */
  metadataOnly?: boolean;
  timeoutMs?: number;
}

/**
 * GETs one object through the client's credentials with an `Accept` header of its own
 * ({@link KubeClient.request} always asks for plain JSON). Non-2xx answers throw `ApiError`.
 */
export async function getObject(client: KubeClient, path: string, options: GetOptions = {}): Promise<unknown> {
  const url = client.server + path;
  const ctx = new RequestContext(url, HttpMethod.GET);
  await client.kubeConfig.applySecurityAuthentication(ctx);
  const headers = ctx.getHeaders();
  headers['accept'] = options.metadataOnly === false ? 'application/json' : METADATA_ACCEPT;
  const response = await fetch(url, {
    method: 'GET',
    headers,
    dispatcher: ctx.getDispatcher() as never,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  if (!response.ok) throw await toApiError(response);
  return response.json();
}
