/** The durable cursor: per watched scope (a namespace, or "" for all), the last acknowledged resourceVersion. */
export interface Checkpoint {
  version: 1;
  api: string;
  scopes: Record<string, string>;
  /** `k8s.cluster.uid` of the cluster the cursor belongs to (absent in checkpoints of older versions). */
  clusterUid?: string;
  /** Scopes whose first LIST was interrupted: how far it was acknowledged, so a restart skips that part. */
  listing?: Record<string, { resourceVersion: string; after: string }>;
  updatedAt: string;
}

/** Where the checkpoint lives. `load` returns undefined when there is none yet. */
export interface CheckpointStore {
  readonly kind: string;
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}

export function isCheckpoint(value: unknown): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Checkpoint>;
  return (
    v.version === 1 &&
    typeof v.api === 'string' &&
    typeof v.scopes === 'object' &&
    v.scopes !== null &&
    Object.values(v.scopes).every((rv) => typeof rv === 'string')
  );
}

/** A store that keeps nothing: every start is a first start. */
export class NoCheckpointStore implements CheckpointStore {
  readonly kind = 'none';
  async load(): Promise<Checkpoint | undefined> {
    return undefined;
  }
  async save(): Promise<void> {}
}
