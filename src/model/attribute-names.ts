/**
 * Attribute names of the eventrouter convention v1 (README.md, "The event → OpenTelemetry mapping"). Names that the OpenTelemetry
 * semantic conventions define as stable come from `@opentelemetry/semantic-conventions`;
 * incubating ones are copied here (as that package recommends, since its incubating entry
 * point may change in a minor release); `k8s.object.*` and `k8s.event.*` follow the
 * Collector's `k8s_events` receiver so dashboards built for it keep working.
 */
export {
  ATTR_K8S_CLUSTER_NAME,
  ATTR_K8S_CLUSTER_UID,
  ATTR_K8S_CONTAINER_NAME,
  ATTR_K8S_CRONJOB_NAME,
  ATTR_K8S_CRONJOB_UID,
  ATTR_K8S_DAEMONSET_NAME,
  ATTR_K8S_DAEMONSET_UID,
  ATTR_K8S_DEPLOYMENT_NAME,
  ATTR_K8S_DEPLOYMENT_UID,
  ATTR_K8S_JOB_NAME,
  ATTR_K8S_JOB_UID,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_NODE_NAME,
  ATTR_K8S_NODE_UID,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_POD_UID,
  ATTR_K8S_REPLICASET_NAME,
  ATTR_K8S_REPLICASET_UID,
  ATTR_K8S_STATEFULSET_NAME,
  ATTR_K8S_STATEFULSET_UID,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_NAMESPACE,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';

// Incubating in semantic-conventions 1.45.
export const ATTR_K8S_PERSISTENTVOLUMECLAIM_NAME = 'k8s.persistentvolumeclaim.name';
export const ATTR_K8S_PERSISTENTVOLUME_NAME = 'k8s.persistentvolume.name';
export const ATTR_K8S_SERVICE_NAME = 'k8s.service.name';
export const ATTR_K8S_HPA_NAME = 'k8s.hpa.name';
export const ATTR_K8S_HPA_UID = 'k8s.hpa.uid';
export const ATTR_K8S_REPLICATIONCONTROLLER_NAME = 'k8s.replicationcontroller.name';
export const ATTR_K8S_REPLICATIONCONTROLLER_UID = 'k8s.replicationcontroller.uid';

// As set by the Collector's k8s_events receiver.
export const ATTR_K8S_OBJECT_KIND = 'k8s.object.kind';
export const ATTR_K8S_OBJECT_NAME = 'k8s.object.name';
export const ATTR_K8S_OBJECT_UID = 'k8s.object.uid';
export const ATTR_K8S_OBJECT_API_VERSION = 'k8s.object.api_version';
export const ATTR_K8S_OBJECT_FIELDPATH = 'k8s.object.fieldpath';
export const ATTR_K8S_OBJECT_RESOURCE_VERSION = 'k8s.object.resource_version';

export const ATTR_K8S_EVENT_REASON = 'k8s.event.reason';
export const ATTR_K8S_EVENT_ACTION = 'k8s.event.action';
export const ATTR_K8S_EVENT_NAME = 'k8s.event.name';
export const ATTR_K8S_EVENT_UID = 'k8s.event.uid';
export const ATTR_K8S_EVENT_COUNT = 'k8s.event.count';
export const ATTR_K8S_EVENT_RESOURCE_VERSION = 'k8s.event.resource_version';
export const ATTR_K8S_EVENT_START_TIME = 'k8s.event.start_time';
export const ATTR_K8S_EVENT_REPORTING_CONTROLLER = 'k8s.event.reporting_controller';
export const ATTR_K8S_EVENT_REPORTING_INSTANCE = 'k8s.event.reporting_instance';
export const ATTR_K8S_EVENT_RELATED_KIND = 'k8s.event.related.kind';
export const ATTR_K8S_EVENT_RELATED_NAME = 'k8s.event.related.name';
export const ATTR_K8S_EVENT_RELATED_NAMESPACE = 'k8s.event.related.namespace';
export const ATTR_K8S_EVENT_RELATED_UID = 'k8s.event.related.uid';
/** The object an event names but may not be attributed to (see identity.ts); set instead of `k8s.object.*`. */
export const ATTR_K8S_EVENT_CLAIMED_KIND = 'k8s.event.claimed.kind';
export const ATTR_K8S_EVENT_CLAIMED_NAME = 'k8s.event.claimed.name';
export const ATTR_K8S_EVENT_CLAIMED_NAMESPACE = 'k8s.event.claimed.namespace';
export const ATTR_K8S_EVENT_CLAIMED_UID = 'k8s.event.claimed.uid';
export const ATTR_K8S_EVENT_CLAIMED_API_VERSION = 'k8s.event.claimed.api_version';
export const ATTR_K8S_EVENT_CLAIMED_FIELDPATH = 'k8s.event.claimed.fieldpath';

// eventrouter's own.
export const ATTR_EVENTROUTER_BODY_TRUNCATED = 'eventrouter.body.truncated';
export const ATTR_EVENTROUTER_BODY_ORIGINAL_LENGTH = 'eventrouter.body.original_length';
/** An event that names an object outside its own namespace: exported under its own namespace, not the object's. */
export const ATTR_EVENTROUTER_IDENTITY_MISMATCH = 'eventrouter.identity.mismatch';
/** Records a sink's throttle held back since the last one that passed (this record carries the count). */
export const ATTR_EVENTROUTER_THROTTLE_SUPPRESSED = 'eventrouter.throttle.suppressed';

export const EVENT_NAME = 'k8s.event';
