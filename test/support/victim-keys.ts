/**
 * The resource attributes that would attribute a record to a victim's pod or its workloads (issue
 * 20): none may be on a record whose event was forged from another namespace. One list for the
 * unit test and the end-to-end test, so that an attribute added to enrichment is checked in both.
 */
export const VICTIM_RESOURCE_KEYS: readonly string[] = [
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.node.name',
  'k8s.container.name',
  'k8s.replicaset.name',
  'k8s.replicaset.uid',
  'k8s.deployment.name',
  'k8s.deployment.uid',
  'k8s.object.kind',
  'k8s.object.name',
  'k8s.object.uid',
  'service.name',
  'service.namespace',
  'service.version',
  'service.instance.id',
];
