import * as attr from './attribute-names.ts';

/** Where the owner chain GETs objects of a kind. */
export interface KindApi {
  /** Collection path prefix, e.g. `/apis/apps/v1`. */
  prefix: string;
  plural: string;
  /** Whether an object of this kind is itself usually controlled (ReplicaSet → Deployment, Job → CronJob). */
  hasOwner: boolean;
}

/** A built-in kind whose name (and uid) have a semantic-convention attribute of their own. */
export interface BuiltInKind {
  /** API groups an involvedObject or ownerReference may name it with (`extensions` on clusters from before apps/v1). */
  groups: readonly string[];
  /** `k8s.<kind>.name`. */
  nameAttr: string;
  /** `k8s.<kind>.uid`, where semconv defines one. */
  uidAttr: string | undefined;
  /** `k8s.<kind>.label.` / `k8s.<kind>.annotation.`: opt-in metadata copied by the enricher. */
  labelPrefix: string;
  annotationPrefix: string;
  /** Set for the kinds the owner chain reads (Pods and the workloads that own them). */
  api: KindApi | undefined;
}

function kind(groups: readonly string[], nameAttr: string, uidAttr?: string, api?: KindApi): BuiltInKind {
  const key = nameAttr.slice(0, -'name'.length);
  return { groups, nameAttr, uidAttr, labelPrefix: `${key}label.`, annotationPrefix: `${key}annotation.`, api };
}

const APPS = ['apps', 'extensions'];

/** The one table of built-in kinds, for the mapping (attributes from the event alone) and the owner chain. */
const KINDS: Readonly<Record<string, BuiltInKind>> = {
  Pod: kind([''], attr.ATTR_K8S_POD_NAME, attr.ATTR_K8S_POD_UID, { prefix: '/api/v1', plural: 'pods', hasOwner: false }),
  Node: kind([''], attr.ATTR_K8S_NODE_NAME, attr.ATTR_K8S_NODE_UID),
  Deployment: kind(APPS, attr.ATTR_K8S_DEPLOYMENT_NAME, attr.ATTR_K8S_DEPLOYMENT_UID, { prefix: '/apis/apps/v1', plural: 'deployments', hasOwner: false }),
  ReplicaSet: kind(APPS, attr.ATTR_K8S_REPLICASET_NAME, attr.ATTR_K8S_REPLICASET_UID, { prefix: '/apis/apps/v1', plural: 'replicasets', hasOwner: true }),
  // StatefulSets never were in extensions.
  StatefulSet: kind(['apps'], attr.ATTR_K8S_STATEFULSET_NAME, attr.ATTR_K8S_STATEFULSET_UID, { prefix: '/apis/apps/v1', plural: 'statefulsets', hasOwner: false }),
  DaemonSet: kind(APPS, attr.ATTR_K8S_DAEMONSET_NAME, attr.ATTR_K8S_DAEMONSET_UID, { prefix: '/apis/apps/v1', plural: 'daemonsets', hasOwner: false }),
  Job: kind(['batch'], attr.ATTR_K8S_JOB_NAME, attr.ATTR_K8S_JOB_UID, { prefix: '/apis/batch/v1', plural: 'jobs', hasOwner: true }),
  CronJob: kind(['batch'], attr.ATTR_K8S_CRONJOB_NAME, attr.ATTR_K8S_CRONJOB_UID, { prefix: '/apis/batch/v1', plural: 'cronjobs', hasOwner: false }),
  ReplicationController: kind([''], attr.ATTR_K8S_REPLICATIONCONTROLLER_NAME, attr.ATTR_K8S_REPLICATIONCONTROLLER_UID, {
    prefix: '/api/v1',
    plural: 'replicationcontrollers',
    hasOwner: false,
  }),
  HorizontalPodAutoscaler: kind(['autoscaling'], attr.ATTR_K8S_HPA_NAME, attr.ATTR_K8S_HPA_UID),
  PersistentVolumeClaim: kind([''], attr.ATTR_K8S_PERSISTENTVOLUMECLAIM_NAME),
  PersistentVolume: kind([''], attr.ATTR_K8S_PERSISTENTVOLUME_NAME),
  Service: kind([''], attr.ATTR_K8S_SERVICE_NAME),
};

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → the core group ``). */
export function apiGroup(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined) return undefined;
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * The built-in kind an object reference names, or undefined: a CRD may reuse a built-in kind
 * name in another group, and only the real kind gets its attributes. Without an apiVersion the
 * name alone decides.
 */
export function builtInKind(kindName: string | undefined, apiVersion: string | undefined): BuiltInKind | undefined {
  if (kindName === undefined) return undefined;
  const info = Object.hasOwn(KINDS, kindName) ? KINDS[kindName] : undefined;
  if (info === undefined) return undefined;
  const group = apiGroup(apiVersion);
  return group === undefined || info.groups.includes(group) ? info : undefined;
}
