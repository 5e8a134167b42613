import { ApiError } from '../kube/kube-client.ts';

/**
 * True for the API server's answer to a resourceVersion it has not reached yet: `504 Timeout`
 * with the cause `ResourceVersionTooLarge` (message "Too large resource version: N, current: M").
 * It means the cursor belongs to another etcd history (etcd restored from a backup, a checkpoint
 * carried into a rebuilt cluster): waiting never helps, since the revision may never come.
 */
export function isResourceVersionTooLarge(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.causes.includes('ResourceVersionTooLarge')) return true;
  // Watch ERROR frames carry no causes: the message is all there is.
  return /too large resource version/i.test(error.message);
}
