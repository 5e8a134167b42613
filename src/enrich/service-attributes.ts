import * as attr from '../model/attribute-names.ts';
import type { AttributeMap } from '../model/event-record.ts';
import { versionFromImage } from './image-version.ts';

/** Labels and annotations of the pod (or top workload) an event is about, when enrichment fetched them. */
export interface WorkloadMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Pods only: image of each container (`spec.containers`, `spec.initContainers`) by name. */
  images?: Record<string, string>;
}

const WORKLOAD_ORDER = [
  attr.ATTR_K8S_DEPLOYMENT_NAME,
  attr.ATTR_K8S_REPLICASET_NAME,
  attr.ATTR_K8S_STATEFULSET_NAME,
  attr.ATTR_K8S_DAEMONSET_NAME,
  attr.ATTR_K8S_CRONJOB_NAME,
  attr.ATTR_K8S_JOB_NAME,
  attr.ATTR_K8S_POD_NAME,
  attr.ATTR_K8S_CONTAINER_NAME,
] as const;

const ANNOTATION_PREFIX = 'resource.opentelemetry.io/';
// The annotation keys, built once (not per event).
const ANNOTATION_SERVICE_NAME = `${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_NAME}`;
const ANNOTATION_SERVICE_NAMESPACE = `${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_NAMESPACE}`;
const ANNOTATION_SERVICE_VERSION = `${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_VERSION}`;
const ANNOTATION_SERVICE_INSTANCE_ID = `${ANNOTATION_PREFIX}${attr.ATTR_SERVICE_INSTANCE_ID}`;
const NONE: Readonly<Record<string, string>> = Object.freeze({});

/** Sets `key` unless the resource has it or there is no value. */
function setIfAbsent(resource: AttributeMap, key: string, value: string | undefined): void {
  if (value !== undefined && value !== '' && resource[key] === undefined) resource[key] = value;
}

/**
 * Sets `service.*` on a resource by the semantic conventions' Kubernetes rules
 * (non-normative "k8s-attributes"), the way the Collector's k8sattributes processor
 * (`otel_annotations`, `service.*` in `extract.metadata`, which reads the well-known labels) and the OpenTelemetry
 * Operator do for the pod's own telemetry. Values already present are kept.
 *
 * - `service.name`: annotation `resource.opentelemetry.io/service.name`, label
 *   `app.kubernetes.io/instance`, label `app.kubernetes.io/name`, then the first of
 *   `k8s.deployment.name`, `k8s.replicaset.name`, `k8s.statefulset.name`, `k8s.daemonset.name`,
 *   `k8s.cronjob.name`, `k8s.job.name`, `k8s.pod.name`, `k8s.container.name`.
 * - `service.namespace`: annotation, then `k8s.namespace.name`.
 * - `service.version`: annotation, then label `app.kubernetes.io/version`, then (for an event
 *   about a container) the tag/digest of that container's image, as k8sattributes does for the
 *   telemetry of a container it can name.
 * - `service.instance.id`: annotation, then `<k8s.namespace.name>.<k8s.pod.name>.<k8s.container.name>`
 *   (only for events about a container: a pod-level event has no container to name).
 *
 * Differences from the convention, documented in docs/correlation.md: the labels are always
 * consulted (the convention asks tools to make them opt-in; eventrouter makes them the default),
 * and for an event about a workload the workload's own labels/annotations stand in for the pod's.
 */
export function applyServiceAttributes(resource: AttributeMap, metadata?: WorkloadMetadata): void {
  const annotations = metadata?.annotations ?? NONE;
  const labels = metadata?.labels ?? NONE;
  const namespace = resource[attr.ATTR_K8S_NAMESPACE_NAME] as string | undefined;

  let serviceName = annotations[ANNOTATION_SERVICE_NAME] ?? labels['app.kubernetes.io/instance'] ?? labels['app.kubernetes.io/name'];
  if (serviceName === undefined) {
    for (const key of WORKLOAD_ORDER) {
      const value = resource[key];
      if (typeof value === 'string' && value !== '') {
        serviceName = value;
        break;
      }
    }
  }
  setIfAbsent(resource, attr.ATTR_SERVICE_NAME, serviceName);
  // Only objects that run as a service get the rest: a Node or a PVC is not a service.
  if (resource[attr.ATTR_SERVICE_NAME] === undefined) return;
  setIfAbsent(resource, attr.ATTR_SERVICE_NAMESPACE, annotations[ANNOTATION_SERVICE_NAMESPACE] ?? namespace);
  const pod = resource[attr.ATTR_K8S_POD_NAME] as string | undefined;
  const container = resource[attr.ATTR_K8S_CONTAINER_NAME] as string | undefined;
  setIfAbsent(
    resource,
    attr.ATTR_SERVICE_VERSION,
    annotations[ANNOTATION_SERVICE_VERSION] ??
      labels['app.kubernetes.io/version'] ??
      (container !== undefined ? versionFromImage(metadata?.images?.[container]) : undefined),
  );
  const instance = annotations[ANNOTATION_SERVICE_INSTANCE_ID] ?? (namespace && pod && container ? `${namespace}.${pod}.${container}` : undefined);
  setIfAbsent(resource, attr.ATTR_SERVICE_INSTANCE_ID, instance);
}
