import * as attr from '../model/attribute-names.ts';
import type { AttributeMap } from '../model/event-record.ts';

/** Labels and annotations of the pod (or top workload) an event is about, when enrichment fetched them. */
export interface WorkloadMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const WORKLOAD_ORDER = [
  attr.ATTR_K8S_DEPLOYMENT_NAME,
  attr.ATTR_K8S_REPLICASET_NAME,
  attr.ATTR_K8S_STATEFULSET_NAME,
  attr.ATTR_K8S_DAEMONSET_NAME,
  attr.ATTR_K8S_CRONJOB_NAME,
  attr.ATTR_K8S_JOB_NAME,
  attr.ATTR_K8S_POD_NAME,
] as const;

const ANNOTATION_PREFIX = 'resource.opentelemetry.io/';

/**
 * Sets `service.*` on a resource by the semantic conventions' Kubernetes rules, the way the
 * Collector's k8sattributes processor and the OpenTelemetry Operator do for the pod's own
 * telemetry: the `resource.opentelemetry.io/<attr>` annotation first, then the
 * `app.kubernetes.io/*` labels, then the workload name. Values already present are kept.
 */
export function applyServiceAttributes(resource: AttributeMap, metadata: WorkloadMetadata = {}): void {
  const annotations = metadata.annotations ?? {};
  const labels = metadata.labels ?? {};
  const namespace = resource[attr.ATTR_K8S_NAMESPACE_NAME] as string | undefined;

  const set = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '' && resource[key] === undefined) resource[key] = value;
  };

  let serviceName = annotations[`${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_NAME}`] ?? labels['app.kubernetes.io/instance'] ?? labels['app.kubernetes.io/name'];
  if (serviceName === undefined) {
    for (const key of WORKLOAD_ORDER) {
      const value = resource[key];
      if (typeof value === 'string' && value !== '') {
        serviceName = value;
        break;
      }
    }
  }
  set(attr.ATTR_SERVICE_NAME, serviceName);
  // Only objects that run as a service get the rest: a Node or a PVC is not a service.
  if (resource[attr.ATTR_SERVICE_NAME] === undefined) return;
  set(attr.ATTR_SERVICE_NAMESPACE, annotations[`${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_NAMESPACE}`] ?? namespace);
  set(attr.ATTR_SERVICE_VERSION, annotations[`${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_VERSION}`] ?? labels['app.kubernetes.io/version']);
  const pod = resource[attr.ATTR_K8S_POD_NAME] as string | undefined;
  const container = resource[attr.ATTR_K8S_CONTAINER_NAME] as string | undefined;
  const instance =
    annotations[`${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_INSTANCE_ID}`] ??
    (namespace && pod && container ? `${namespace}.${pod}.${container}` : undefined);
  set(attr.ATTR_SERVICE_INSTANCE_ID, instance);
}
