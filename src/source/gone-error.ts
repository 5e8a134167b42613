/**
 * The API server answered 410 Gone: the resourceVersion or continue token was compacted away.
 * Not a failure to back off from: the source re-lists at once.
 */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}
