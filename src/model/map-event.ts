import { SeverityNumber } from '@opentelemetry/api';
import * as attr from './attribute-names.ts';
import { isAttributable } from './identity.ts';
import { cutText } from './cut-text.ts';
import { builtInKind } from './kinds.ts';
import type { AttributeMap, EventRecord } from './event-record.ts';
import { type NormalizedEvent, type ObjectRef, eventKey } from './normalized-event.ts';
import { hrTimeFromMillis, parseRfc3339 } from './time.ts';

/** Options of {@link mapEvent}. */
export interface MapOptions {
  /** `k8s.cluster.name`; omitted when empty. */
  clusterName?: string;
  /** `k8s.cluster.uid` (uid of the kube-system Namespace), when known. */
  clusterUid?: string;
  /** Attributes merged into every resource first (`OTEL_RESOURCE_ATTRIBUTES`); event-derived values win. */
  baseResource?: AttributeMap;
  /** Longest body kept, in UTF-16 code units (config `maxBodyLength`); longer messages are cut and marked. Unset: never cut. */
  maxBodyLength?: number;
  /** When the record was received; defaults to now. */
  observedAtMillis?: number;
}

const CONTAINER_FIELD_PATH = /^spec\.(?:containers|initContainers|ephemeralContainers)\{([^}]+)\}/;

/** The container an event is about, from a fieldPath such as `spec.containers{app}`. */
export function containerFromFieldPath(fieldPath: string | undefined): string | undefined {
  if (fieldPath === undefined) return undefined;
  return CONTAINER_FIELD_PATH.exec(fieldPath)?.[1];
}

/** The resource attributes that follow from the involved object alone (before enrichment). */
function resourceFor(event: NormalizedEvent, attributable: boolean, options: MapOptions = {}): AttributeMap {
  const resource: AttributeMap = { ...options.baseResource };
  const obj: ObjectRef = event.regarding;
  if (options.clusterName) resource[attr.ATTR_K8S_CLUSTER_NAME] = options.clusterName;
  if (options.clusterUid) resource[attr.ATTR_K8S_CLUSTER_UID] = options.clusterUid;
  if (!attributable) {
    // The event's own namespace, and nothing of the object it names: the claim (and the
    // kubelet node it may name) is the event creator's word, kept on the record instead.
    if (event.namespace) resource[attr.ATTR_K8S_NAMESPACE_NAME] = event.namespace;
    return resource;
  }
  const namespace = obj.namespace ?? (obj.kind === 'Namespace' ? obj.name : undefined) ?? event.namespace;
  if (namespace) resource[attr.ATTR_K8S_NAMESPACE_NAME] = namespace;
  if (obj.kind) resource[attr.ATTR_K8S_OBJECT_KIND] = obj.kind;
  if (obj.name) resource[attr.ATTR_K8S_OBJECT_NAME] = obj.name;
  if (obj.uid) resource[attr.ATTR_K8S_OBJECT_UID] = obj.uid;
  if (obj.apiVersion) resource[attr.ATTR_K8S_OBJECT_API_VERSION] = obj.apiVersion;
  if (obj.fieldPath) resource[attr.ATTR_K8S_OBJECT_FIELDPATH] = obj.fieldPath;

  const kind = builtInKind(obj.kind, obj.apiVersion);
  if (kind !== undefined && obj.name) {
    resource[kind.nameAttr] = obj.name;
    if (kind.uidAttr !== undefined && obj.uid) resource[kind.uidAttr] = obj.uid;
  }
  const container = containerFromFieldPath(obj.fieldPath);
  if (container !== undefined) resource[attr.ATTR_K8S_CONTAINER_NAME] = container;
  // The kubelet reports from the node the pod runs on; source.host / reportingInstance name it.
  if (resource[attr.ATTR_K8S_NODE_NAME] === undefined && event.reportingController === 'kubelet') {
    const node = event.sourceHost ?? event.reportingInstance;
    if (node) resource[attr.ATTR_K8S_NODE_NAME] = node;
  }
  return resource;
}

function severityOf(type: string | undefined): SeverityNumber {
  if (type === 'Normal') return SeverityNumber.INFO;
  if (type === 'Warning') return SeverityNumber.WARN;
  return SeverityNumber.UNSPECIFIED;
}

/**
 * Maps one event occurrence to an {@link EventRecord} per the eventrouter convention v1.
 * Never throws: every field is optional in the input.
 */
export function mapEvent(event: NormalizedEvent, verb: EventRecord['verb'], options: MapOptions = {}): EventRecord {
  const observedAt = options.observedAtMillis ?? Date.now();
  const hrTimeObserved = hrTimeFromMillis(observedAt);
  const hrTime =
    parseRfc3339(event.seriesLastObservedTime) ??
    parseRfc3339(event.eventTime) ??
    parseRfc3339(event.lastTimestamp) ??
    parseRfc3339(event.firstTimestamp) ??
    parseRfc3339(event.creationTimestamp) ??
    hrTimeObserved;

  const attributes: AttributeMap = {};
  if (event.reason) attributes[attr.ATTR_K8S_EVENT_REASON] = event.reason;
  if (event.action) attributes[attr.ATTR_K8S_EVENT_ACTION] = event.action;
  if (event.name) attributes[attr.ATTR_K8S_EVENT_NAME] = event.name;
  if (event.uid) attributes[attr.ATTR_K8S_EVENT_UID] = event.uid;
  // Always set: (uid, count) is the dedupe key, and a single occurrence (no count, no series) is count 1.
  attributes[attr.ATTR_K8S_EVENT_COUNT] = event.count ?? 1;
  if (event.resourceVersion) attributes[attr.ATTR_K8S_EVENT_RESOURCE_VERSION] = event.resourceVersion;
  const start = event.firstTimestamp ?? event.eventTime;
  if (start) attributes[attr.ATTR_K8S_EVENT_START_TIME] = start;
  if (event.reportingController) attributes[attr.ATTR_K8S_EVENT_REPORTING_CONTROLLER] = event.reportingController;
  if (event.reportingInstance) attributes[attr.ATTR_K8S_EVENT_REPORTING_INSTANCE] = event.reportingInstance;
  const related = event.related;
  if (related !== undefined) {
    if (related.kind) attributes[attr.ATTR_K8S_EVENT_RELATED_KIND] = related.kind;
    if (related.name) attributes[attr.ATTR_K8S_EVENT_RELATED_NAME] = related.name;
    if (related.namespace) attributes[attr.ATTR_K8S_EVENT_RELATED_NAMESPACE] = related.namespace;
    if (related.uid) attributes[attr.ATTR_K8S_EVENT_RELATED_UID] = related.uid;
  }
  const attributable = isAttributable(event);
  if (!attributable) {
    attributes[attr.ATTR_EVENTROUTER_IDENTITY_MISMATCH] = true;
    const claimed = event.regarding;
    if (claimed.kind) attributes[attr.ATTR_K8S_EVENT_CLAIMED_KIND] = claimed.kind;
    if (claimed.name) attributes[attr.ATTR_K8S_EVENT_CLAIMED_NAME] = claimed.name;
    if (claimed.namespace) attributes[attr.ATTR_K8S_EVENT_CLAIMED_NAMESPACE] = claimed.namespace;
    if (claimed.uid) attributes[attr.ATTR_K8S_EVENT_CLAIMED_UID] = claimed.uid;
    if (claimed.apiVersion) attributes[attr.ATTR_K8S_EVENT_CLAIMED_API_VERSION] = claimed.apiVersion;
    if (claimed.fieldPath) attributes[attr.ATTR_K8S_EVENT_CLAIMED_FIELDPATH] = claimed.fieldPath;
  } else if (event.regarding.resourceVersion) {
    attributes[attr.ATTR_K8S_OBJECT_RESOURCE_VERSION] = event.regarding.resourceVersion;
  }

  // Cut here, once: the record (and the normalized event it carries) holds only what the sinks
  // send, so that the in-flight budget counts what is really held and the parsed message can die.
  let body = event.message ?? '';
  let held = event;
  const maxBodyLength = options.maxBodyLength;
  if (maxBodyLength !== undefined && body.length > maxBodyLength) {
    attributes[attr.ATTR_EVENTROUTER_BODY_TRUNCATED] = true;
    attributes[attr.ATTR_EVENTROUTER_BODY_ORIGINAL_LENGTH] = body.length;
    body = cutText(body, maxBodyLength);
    held = { ...event, message: body };
  }

  const record: EventRecord = {
    resource: resourceFor(event, attributable, options),
    hrTime,
    hrTimeObserved,
    severityNumber: severityOf(event.type),
    body,
    eventName: attr.EVENT_NAME,
    attributes,
    verb,
    dedupeKey: dedupeKey(event),
    event: held,
  };
  if (event.type !== undefined) record.severityText = event.type;
  return record;
}

/** (`k8s.event.uid`, `k8s.event.count`): one occurrence of one event. */
export function dedupeKey(event: NormalizedEvent): string {
  return `${eventKey(event)}/${event.count ?? 1}`;
}
