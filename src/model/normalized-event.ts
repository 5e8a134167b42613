/** A reference to a Kubernetes object, as carried by `involvedObject`/`regarding`/`related`. */
export interface ObjectRef {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/**
 * One Kubernetes Event, core/v1 or events.k8s.io/v1, in a single internal shape.
 * Timestamps stay RFC 3339 strings as the API server sent them; the mapping parses them.
 */
export interface NormalizedEvent {
  /** `v1` (core) or `events.k8s.io/v1` (also v1beta1), as received. */
  apiVersion: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp?: string;
  regarding: ObjectRef;
  related?: ObjectRef;
  reason?: string;
  action?: string;
  /** `message` (core/v1) or `note` (events.k8s.io/v1). */
  message?: string;
  type?: string;
  /** `series.count` ?? `count` ?? `deprecatedCount`. */
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  seriesLastObservedTime?: string;
  reportingController?: string;
  reportingInstance?: string;
  /** `source.host` / `deprecatedSource.host`: the node for kubelet-reported events. */
  sourceHost?: string;
}

/** What identifies one Event object across its versions: its uid, else (an object without one) namespace/name. */
export function eventKey(event: NormalizedEvent): string {
  return event.uid || `${event.namespace}/${event.name}`;
}
