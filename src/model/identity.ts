import { apiGroup } from './kinds.ts';
import type { NormalizedEvent } from './normalized-event.ts';

/**
 * Where the API server lets an event about a cluster-scoped object live
 * (`legacyValidateEvent` in k8s.io/kubernetes pkg/apis/core/validation/events.go: an event
 * with `eventTime` and no involved namespace must be in `default` or `kube-system`; an old-style
 * one in `default`, or in no namespace at all, which a stored Event never has).
 */
const CLUSTER_EVENT_NAMESPACES: ReadonlySet<string> = new Set(['', 'default', 'kube-system']);

const CORE = [''];
/**
 * Built-in cluster-scoped kinds, with the API groups that serve them. Only these are known to
 * be cluster-scoped whatever the reference says; for any other kind (a CRD), an empty involved
 * namespace is what marks the object as cluster-scoped, as the API server reads it.
 */
const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  Node: CORE,
  Namespace: CORE,
  PersistentVolume: CORE,
  ComponentStatus: CORE,
  ClusterRole: ['rbac.authorization.k8s.io'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io'],
  StorageClass: ['storage.k8s.io'],
  CSIDriver: ['storage.k8s.io'],
  CSINode: ['storage.k8s.io'],
  VolumeAttachment: ['storage.k8s.io'],
  VolumeAttributesClass: ['storage.k8s.io'],
  CustomResourceDefinition: ['apiextensions.k8s.io'],
  APIService: ['apiregistration.k8s.io'],
  PriorityClass: ['scheduling.k8s.io'],
  RuntimeClass: ['node.k8s.io'],
  IngressClass: ['networking.k8s.io'],
  IPAddress: ['networking.k8s.io'],
  ServiceCIDR: ['networking.k8s.io'],
  CertificateSigningRequest: ['certificates.k8s.io'],
  ClusterTrustBundle: ['certificates.k8s.io'],
  MutatingWebhookConfiguration: ['admissionregistration.k8s.io'],
  ValidatingWebhookConfiguration: ['admissionregistration.k8s.io'],
  ValidatingAdmissionPolicy: ['admissionregistration.k8s.io'],
  ValidatingAdmissionPolicyBinding: ['admissionregistration.k8s.io'],
  MutatingAdmissionPolicy: ['admissionregistration.k8s.io'],
  MutatingAdmissionPolicyBinding: ['admissionregistration.k8s.io'],
  FlowSchema: ['flowcontrol.apiserver.k8s.io'],
  PriorityLevelConfiguration: ['flowcontrol.apiserver.k8s.io'],
  DeviceClass: ['resource.k8s.io'],
  ResourceSlice: ['resource.k8s.io'],
};

/** Whether an object reference names a built-in cluster-scoped kind (without an apiVersion, the kind name alone decides). */
export function isClusterScopedKind(kindName: string | undefined, apiVersion: string | undefined): boolean {
  if (kindName === undefined || !Object.hasOwn(CLUSTER_SCOPED, kindName)) return false;
  const group = apiGroup(apiVersion);
  return group === undefined || (CLUSTER_SCOPED[kindName] as readonly string[]).includes(group);
}

/**
 * Whether an event may be attributed to the object it names (`involvedObject` / `regarding`).
 *
 * Whoever may create an Event in a namespace chooses what it names, and the API server checks
 * that claim only for old-style core/v1 events: once `eventTime` is set (and always through
 * events.k8s.io/v1), an event in namespace `attacker` may name a Pod in `victim`. Attributing it
 * would put the victim's pod, workload and `service.*` on it and run owner lookups with the
 * router's cluster-wide read permission. So the claim is trusted only when it could not reach
 * outside the event's own namespace:
 * - an object in a namespace: that namespace is the event's own;
 * - a cluster-scoped object (no involved namespace, or a built-in cluster-scoped kind): the
 *   event lives where the API server requires such events to live, `default` or `kube-system`.
 */
export function isAttributable(event: NormalizedEvent): boolean {
  const claimed = event.regarding.namespace;
  if (claimed === undefined || isClusterScopedKind(event.regarding.kind, event.regarding.apiVersion)) {
    return CLUSTER_EVENT_NAMESPACES.has(event.namespace) && (claimed === undefined || claimed === event.namespace);
  }
  return claimed === event.namespace;
}
