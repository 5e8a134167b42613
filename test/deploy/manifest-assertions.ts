import assert from 'node:assert/strict';
import type { KubeObject } from './kube-schema.ts';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** One `group/resource[name]:verb` string per permission a set of rules grants, sorted. */
export function permissions(rules: PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const rule of rules) {
    assert.equal(rule.nonResourceURLs, undefined, 'no non-resource URLs');
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) {
          const names = rule.resourceNames ?? [''];
          for (const name of names) out.add(`${group}/${resource}${name ? `[${name}]` : ''}:${verb}`);
        }
      }
    }
  }
  return [...out].sort();
}

/**
 * What the ClusterRole must grant, and nothing more: list/watch Events (the source never GETs
 * one), get the objects enrichment follows, get the kube-system Namespace (k8s.cluster.uid)
 * and no other.
 */
export const CLUSTER_PERMISSIONS = [
  ...['', 'events.k8s.io'].flatMap((g) => ['list', 'watch'].map((v) => `${g}/events:${v}`)),
  ...['pods', 'replicationcontrollers'].map((r) => `/${r}:get`),
  '/namespaces[kube-system]:get',
  ...['replicasets', 'deployments', 'statefulsets', 'daemonsets'].map((r) => `apps/${r}:get`),
  ...['jobs', 'cronjobs'].map((r) => `batch/${r}:get`),
].sort();

/** What the namespaced Role must grant: the leader Lease and the checkpoint ConfigMap, get/update by name, create. */
export function namespacedPermissions(leaseName: string, configMap: string): string[] {
  return [
    'coordination.k8s.io/leases:create',
    `coordination.k8s.io/leases[${leaseName}]:get`,
    `coordination.k8s.io/leases[${leaseName}]:update`,
    '/configmaps:create',
    `/configmaps[${configMap}]:get`,
    `/configmaps[${configMap}]:update`,
  ].sort();
}

export interface RbacExpectation {
  namespace: string;
  serviceAccount: string;
  leaseName: string;
  checkpointConfigMap: string;
}

interface Binding {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

/** Exactly one ClusterRole and one Role with exactly the expected permissions, bound to the service account. */
export function assertRbac(objects: KubeObject[], expected: RbacExpectation): void {
  const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole');
  const roles = objects.filter((o) => o.kind === 'Role');
  assert.equal(clusterRoles.length, 1, 'one ClusterRole');
  assert.equal(roles.length, 1, 'one Role');
  const clusterRole = clusterRoles[0] as KubeObject & { rules: PolicyRule[] };
  const role = roles[0] as KubeObject & { rules: PolicyRule[] };
  assert.deepEqual(permissions(clusterRole.rules), CLUSTER_PERMISSIONS);
  assert.deepEqual(permissions(role.rules), namespacedPermissions(expected.leaseName, expected.checkpointConfigMap));
  assert.equal(role.metadata.namespace, expected.namespace);
  const subject = [{ kind: 'ServiceAccount', name: expected.serviceAccount, namespace: expected.namespace }];
  const clusterBinding = objects.find((o) => o.kind === 'ClusterRoleBinding') as (KubeObject & Binding) | undefined;
  assert.ok(clusterBinding, 'a ClusterRoleBinding');
  assert.deepEqual(clusterBinding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name });
  assert.deepEqual(clusterBinding.subjects, subject);
  const binding = objects.find((o) => o.kind === 'RoleBinding') as (KubeObject & Binding) | undefined;
  assert.ok(binding, 'a RoleBinding');
  assert.equal(binding.metadata.namespace, expected.namespace);
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  assert.deepEqual(binding.subjects, subject);
}

/** The pod and every container: non-root 65532, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
export function assertSecureWorkload(deployment: KubeObject): void {
  const pod = (deployment['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
  const podContext = (pod['securityContext'] ?? {}) as Record<string, unknown>;
  assert.equal(podContext['runAsNonRoot'], true, 'pod runAsNonRoot');
  assert.deepEqual(podContext['seccompProfile'], { type: 'RuntimeDefault' }, 'pod seccompProfile');
  assert.notEqual(pod['hostNetwork'], true);
  assert.notEqual(pod['hostPID'], true);
  const containers = [...((pod['initContainers'] ?? []) as Record<string, unknown>[]), ...(pod['containers'] as Record<string, unknown>[])];
  assert.ok(containers.length > 0);
  for (const container of containers) {
    const context = container['securityContext'] as Record<string, unknown> | undefined;
    assert.ok(context, `${String(container['name'])}: securityContext`);
    assert.equal(context['runAsNonRoot'] ?? podContext['runAsNonRoot'], true, 'runAsNonRoot');
    assert.equal(context['runAsUser'] ?? podContext['runAsUser'], 65532, 'runAsUser');
    assert.equal(context['readOnlyRootFilesystem'], true, 'readOnlyRootFilesystem');
    assert.equal(context['allowPrivilegeEscalation'], false, 'allowPrivilegeEscalation');
    assert.notEqual(context['privileged'], true, 'privileged');
    assert.deepEqual(context['capabilities'], { drop: ['ALL'] }, 'capabilities');
    assert.deepEqual(context['seccompProfile'] ?? podContext['seccompProfile'], { type: 'RuntimeDefault' }, 'seccompProfile');
  }
}

interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}
interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: { port: number | string; protocol?: string }[];
}
export interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
}

const ports = (rule: NetworkPolicyRule) => (rule.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`).sort();
const namespaceOf = (peer: NetworkPolicyPeer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];

/**
 * The policy of the defaults (kustomize component, Helm `networkPolicy.enabled: true`):
 * ingress only to the `metrics` port from the monitoring namespace; egress only to the API
 * server's ports (at `apiServerCidrs`, or anywhere when none), to the Collector's namespace
 * on 4317/4318 and to kube-dns on 53. No rule without ports, and no egress rule without a
 * destination except the API server's (whose address is cluster-specific).
 */
export function assertNetworkPolicy(policy: KubeObject, expected: { apiServerCidrs: string[]; metricsFrom?: string; collector?: string }): void {
  const spec = policy['spec'] as NetworkPolicySpec;
  assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
  assert.equal(spec.ingress?.length, 1, 'one ingress rule');
  const [ingress] = spec.ingress ?? [];
  assert.ok(ingress);
  assert.deepEqual(ports(ingress), ['TCP/metrics'], 'ingress: the metrics port only');
  assert.deepEqual((ingress.from ?? []).map(namespaceOf), [expected.metricsFrom ?? 'monitoring'], 'ingress: from the monitoring namespace only');
  const egress = spec.egress ?? [];
  assert.equal(egress.length, 3, 'egress: API server, Collector, DNS');
  for (const rule of egress) assert.ok((rule.ports ?? []).length > 0, 'every egress rule names its ports');
  const [api, collector, dns] = egress;
  assert.ok(api && collector && dns);
  assert.deepEqual(ports(api), ['TCP/443', 'TCP/6443']);
  assert.deepEqual((api.to ?? []).map((p) => p.ipBlock?.cidr), expected.apiServerCidrs);
  assert.deepEqual(ports(collector), ['TCP/4317', 'TCP/4318']);
  assert.deepEqual((collector.to ?? []).map(namespaceOf), [expected.collector ?? 'observability']);
  assert.deepEqual(ports(dns), ['TCP/53', 'UDP/53']);
  assert.deepEqual(dns.to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
}
