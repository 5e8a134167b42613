/**
 * A stored checkpoint that cannot be read as one (not JSON, or not the shape this version
 * writes). Not the same as "no checkpoint": starting fresh over it would re-send everything the
 * API server still holds and then overwrite it, so the router stays not ready and says what to do.
 */
export class CheckpointFormatError extends Error {
  readonly code = 'E_CHECKPOINT_INVALID';
  /** The file path or `ConfigMap namespace/name` that holds it. */
  readonly location: string;

  constructor(location: string, problem: string, remedy: string) {
    super(`${location} holds no readable eventrouter checkpoint (${problem}); ${remedy}`);
    this.name = 'CheckpointFormatError';
    this.location = location;
  }
}
