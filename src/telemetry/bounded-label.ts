/** Options of {@link BoundedLabel}. */
export interface BoundedLabelOptions {
  /** Values always kept as they are (after truncation). */
  known?: readonly string[];
  /** Distinct values beyond `known` kept, first come first kept; later ones become `other`. Default 0. */
  cap?: number;
  /** Longest value kept, in UTF-16 units; longer ones are cut. Default 63 (a Kubernetes label value's limit). */
  maxLength?: number;
}

/** The value every label falls back to once its set is full. */
export const OTHER = 'other';

/**
 * One metric label whose values come from the cluster. Event `type`, `reason` and the involved
 * object's `kind` are free-form strings that core/v1 Event creation does not validate: taken raw,
 * 200,000 events with distinct values made 200,000 series and OOM-killed the router. A bounded
 * label keeps known values, then a capped number of others, then answers `other`; every value
 * is truncated. Memory is bounded by `(known + cap) × maxLength` whatever the cluster sends.
 */
export class BoundedLabel {
  // Value → the instance first kept: every series with this value shares one string, where each
  // event's own copy would otherwise stay alive in each series that it created.
  readonly #known: ReadonlyMap<string, string>;
  readonly #seen = new Map<string, string>();
  readonly #cap: number;
  readonly #maxLength: number;

  constructor(options: BoundedLabelOptions = {}) {
    this.#maxLength = options.maxLength ?? 63;
    this.#known = new Map((options.known ?? []).map((v) => [v.slice(0, this.#maxLength), v.slice(0, this.#maxLength)]));
    this.#cap = options.cap ?? 0;
  }

  /** The label value to use for `raw` (empty when absent). */
  value(raw: string | undefined): string {
    let value = raw ?? '';
    if (value.length > this.#maxLength) value = value.slice(0, this.#maxLength);
    const kept = this.#known.get(value) ?? this.#seen.get(value);
    if (kept !== undefined) return kept;
    if (this.#seen.size < this.#cap) {
      this.#seen.set(value, value);
      return value;
    }
    return OTHER;
  }
}

/** Event types the API defines; anything else a client wrote counts as `other`. */
export const EVENT_TYPES = ['Normal', 'Warning', ''] as const;

/** Kinds of the built-in API that events are commonly about; custom kinds share a capped set. */
export const KNOWN_KINDS = [
  '',
  'Pod', 'Node', 'Namespace', 'Service', 'Endpoints', 'EndpointSlice', 'ConfigMap', 'Secret', 'ServiceAccount',
  'PersistentVolume', 'PersistentVolumeClaim', 'ReplicationController', 'ResourceQuota', 'LimitRange',
  'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision', 'Job', 'CronJob',
  'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress', 'IngressClass', 'NetworkPolicy',
  'StorageClass', 'VolumeAttachment', 'CSIDriver', 'CSINode', 'Lease', 'PriorityClass', 'RuntimeClass',
  'CertificateSigningRequest', 'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding',
] as const;
