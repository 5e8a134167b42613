import { ApiError } from '../kube/kube-client.ts';

/**
 * True for the API server's answer to a watch from a resourceVersion that is not one: an
 * etcd-backed server parses it as an unsigned 64-bit integer and answers (v1.37: with a 500)
 * `resourceVersion: Invalid value: "abc": strconv.ParseUint: ...`. The cursor came from a
 * misbehaving server's frame or an edited checkpoint; asking again with it never helps.
 */
export function isResourceVersionInvalid(error: unknown): boolean {
  return error instanceof ApiError && /resourceVersion: Invalid value/i.test(error.message);
}
