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

/**
 * Where the checkpoint lives. `load` returns undefined only when there is none yet (not found);
 * any other failure throws, a {@link CheckpointFormatError} when what is stored is unreadable.
 */
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
    Object.values(v.scopes).every((rv) => typeof rv === 'string') &&
    (v.clusterUid === undefined || typeof v.clusterUid === 'string') &&
    (v.listing === undefined ||
      (typeof v.listing === 'object' &&
        v.listing !== null &&
        Object.values(v.listing).every((l) => typeof l?.resourceVersion === 'string' && typeof l.after === 'string')))
  );
}

/** How the checkpoint store fares, for `/readyz` details. */
export interface CheckpointStatus {
  ok: boolean;
  /** What is being done: loading the resume point at start, or writing the cursor. */
  phase: 'loading' | 'writing';
  /** The last error while failing. */
  error?: string;
  /** When the current run of failures began (RFC 3339). */
  failingSince?: string;
  /** Failed attempts in the current run. */
  failures?: number;
}

/** A store that keeps nothing: every start is a first start. */
export class NoCheckpointStore implements CheckpointStore {
  readonly kind = 'none';
  async load(): Promise<Checkpoint | undefined> {
    return undefined;
  }
  async save(): Promise<void> {}
}
