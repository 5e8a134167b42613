import { type KubeClient, MAX_OBJECT_BYTES, toApiError } from '../kube/kube-client.ts';

/**
 * Asks for `PartialObjectMetadata` (labels, annotations, ownerReferences) instead of the whole
 * object; an API server that cannot serve it falls back to the full object (the second type).
 */
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface GetOptions {
  /** Metadata only (default) or the whole object. */
  metadataOnly?: boolean;
  timeoutMs: number;
  /** Ends the request early (the caller shuts down). */
  signal?: AbortSignal;
}

/** GETs one object, metadata only unless asked otherwise. Non-2xx answers throw `ApiError`. */
export async function getObject(client: KubeClient, path: string, options: GetOptions): Promise<unknown> {
  const response = await client.request(path, {
    accept: options.metadataOnly === false ? 'application/json' : METADATA_ACCEPT,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok) throw await toApiError(response);
  return response.json(MAX_OBJECT_BYTES);
}
