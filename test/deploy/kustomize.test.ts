import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { type KubeObject, MISSING_DEPENDENCY, modelsValidator, openApiValidator, strictSkipReason } from './kube-schema.ts';
import { assertNetworkPolicy, assertRbac, assertSecureWorkload, type NetworkPolicySpec } from './manifest-assertions.ts';
import { CHART, CONFIG_MAP_NAME, DEPLOY, only, REAL_KUSTOMIZE, renderKustomize, renderOverlay } from './manifests.ts';

const { objects, renderer } = renderKustomize();
const models = await modelsValidator();
const strict = await openApiValidator();

/** The generated `eventrouter-config` ConfigMap (its name carries a content hash). */
function configMap(list: KubeObject[] = objects): KubeObject & { data: Record<string, string> } {
  const found = list.filter((o) => o.kind === 'ConfigMap' && CONFIG_MAP_NAME.test(o.metadata.name));
  assert.equal(found.length, 1, 'one eventrouter-config ConfigMap');
  return found[0] as KubeObject & { data: Record<string, string> };
}

describe(`kustomize base (deploy/, rendered by ${renderer})`, () => {
  it('contains exactly the objects eventrouter needs', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.kind === 'ConfigMap' && CONFIG_MAP_NAME.test(o.metadata.name) ? 'eventrouter-config' : o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/eventrouter',
      'ClusterRoleBinding/eventrouter',
      'ConfigMap/eventrouter-config',
      'Deployment/eventrouter',
      'Namespace/eventrouter',
      'PodDisruptionBudget/eventrouter',
      'Role/eventrouter',
      'RoleBinding/eventrouter',
      'Service/eventrouter-metrics',
      'ServiceAccount/eventrouter',
    ]);
  });

  it('puts every namespaced object in the eventrouter namespace', () => {
    for (const object of objects) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind)) continue;
      assert.equal(object.metadata.namespace, 'eventrouter', `${object.kind}/${object.metadata.name}`);
    }
  });

  it('validates every object against the kubernetes-models JSON Schemas', { skip: models === undefined ? MISSING_DEPENDENCY : false }, async () => {
    for (const object of objects) {
      assert.deepEqual(await models?.validate(object), [], `${object.kind}/${object.metadata.name}`);
    }
  });

  it(
    `validates every object strictly (unknown fields rejected) against ${strict?.source ?? 'the Kubernetes OpenAPI v3 spec'}`,
    { skip: strict === undefined ? strictSkipReason() : false },
    async () => {
      for (const object of objects) {
        assert.deepEqual(await strict?.validate(object), [], `${object.kind}/${object.metadata.name}`);
      }
    },
  );

  it('the strict validator rejects a misspelled field (the check has teeth)', { skip: strict === undefined ? strictSkipReason() : false }, async () => {
    const deployment = structuredClone(only(objects, 'Deployment'));
    const pod = (deployment['spec'] as { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } }).template.spec;
    const container = pod.containers[0];
    assert.ok(container);
    container.securityContext['readOnlyRootFileSystem'] = true;
    const problems = (await strict?.validate(deployment)) ?? [];
    assert.ok(problems.some((p) => p.includes('readOnlyRootFileSystem')), problems.join('\n'));
  });

  it('runs the pod non-root, read-only, without capabilities, with the RuntimeDefault seccomp profile', () => {
    assertSecureWorkload(only(objects, 'Deployment'));
  });

  it('runs 2 replicas with probes, resources, downward-API env, the config and the writable volumes', () => {
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: DeploymentSpec };
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.equal(pod.serviceAccountName, 'eventrouter');
    const container = pod.containers[0];
    assert.ok(container);
    assert.equal(container.image, 'ghcr.io/eventrouter/eventrouter:0.1.0');
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    assert.deepEqual(env, { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', EVENTROUTER_CONFIG: '/etc/eventrouter/config.yaml' });
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['metrics', 8080]]);
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '128Mi' } });
    // No checkpoint volume: the checkpoint is a ConfigMap (an emptyDir would be lost with the pod).
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.mountPath, m.name]));
    assert.deepEqual(mounts, { '/etc/eventrouter': 'config', '/tmp': 'tmp' });
    const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v.emptyDir !== undefined ? 'emptyDir' : v.configMap?.name]));
    assert.deepEqual(volumes, { config: configMap().metadata.name, tmp: 'emptyDir' });
  });

  it('has one port: config.yaml server.listen, the container port, the probes, the Service and its scrape annotation agree', () => {
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: DeploymentSpec };
    const container = deployment.spec.template.spec.containers[0];
    assert.ok(container);
    const listen = parseConfig(parse(configMap().data['config.yaml'] ?? ''), {}).server.listen;
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['metrics', port]]);
    assert.equal(container.livenessProbe.httpGet.port, 'metrics');
    assert.equal(container.readinessProbe.httpGet.port, 'metrics');
    const service = only(objects, 'Service') as KubeObject & { spec: { ports: { port: number; targetPort: string | number }[] } };
    assert.deepEqual(service.spec.ports.map((p) => [p.port, p.targetPort]), [[port, 'metrics']]);
    assert.equal(service.metadata.annotations?.['prometheus.io/port'], String(port));
  });

  it('keeps requests/limits in one place: the same values as the Helm chart (values.yaml resources)', () => {
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: DeploymentSpec };
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { resources: unknown };
    assert.deepEqual(deployment.spec.template.spec.containers[0]?.resources, values.resources);
  });

  it('generates the ConfigMap from config.yaml, so a config edit rolls the pods (a new name in the pod template)', { skip: REAL_KUSTOMIZE ? false : 'needs kubectl or kustomize (name hashes)' }, () => {
    assert.match(configMap().metadata.name, /^eventrouter-config-[a-z0-9]{10}$/);
    const edited = readFileSync(join(DEPLOY, 'config.yaml'), 'utf8').replace('clusterName: my-cluster', 'clusterName: prod-eu-1');
    const overlay = renderOverlay([], { configMapGenerator: [{ name: 'eventrouter-config', behavior: 'replace', files: ['config.yaml'] }] }, { 'config.yaml': edited });
    const podConfig = (list: KubeObject[]) =>
      ((only(list, 'Deployment')['spec'] as DeploymentSpec).template.spec.volumes.find((v) => v.name === 'config')?.configMap?.name ?? '');
    assert.notEqual(podConfig(overlay.objects), podConfig(objects), 'the pod template names the new ConfigMap');
    const renamed = overlay.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === podConfig(overlay.objects)) as KubeObject & { data: Record<string, string> };
    assert.equal(parseConfig(parse(renamed.data['config.yaml'] ?? ''), {}).clusterName, 'prod-eu-1');
  });

  it('lets voluntary disruptions take one pod at a time (maxUnavailable, so one replica never blocks a drain) and exposes /metrics on a Service', () => {
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: DeploymentSpec };
    const pdb = only(objects, 'PodDisruptionBudget') as KubeObject & { spec: { minAvailable?: number; maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal(pdb.spec.minAvailable, undefined);
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    const service = only(objects, 'Service') as KubeObject & { spec: { selector: Record<string, string>; ports: { name: string; port: number }[] } };
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.deepEqual(service.spec.ports.map((p) => [p.name, p.port]), [['metrics', 8080]]);
  });

  it('grants exactly the RBAC verbs eventrouter needs', () => {
    assertRbac(objects, { namespace: 'eventrouter', serviceAccount: 'eventrouter', leaseName: 'eventrouter', checkpointConfigMap: 'eventrouter-checkpoint' });
  });

  it("ships a config.yaml that passes the product's own validation", () => {
    const text = configMap().data['config.yaml'];
    assert.ok(text);
    const config = parseConfig(parse(text), {});
    assert.equal(config.leaderElection.enabled, true);
    assert.equal(config.checkpoint.store, 'configmap');
    assert.equal(config.checkpoint.configMapName, 'eventrouter-checkpoint');
    assert.equal(config.leaderElection.leaseName, 'eventrouter');
    assert.equal(config.server.listen, '0.0.0.0:8080');
    assert.deepEqual(
      config.sinks?.map((s) => [s.type, s.name, s.type === 'otlp' ? s.endpoint : undefined]),
      [['otlp', 'collector', 'http://otel-collector.observability:4318']],
    );
    assert.ok(config.shutdownTimeout < 30_000, 'shutdownTimeout below terminationGracePeriodSeconds');
  });
});

/** The parts of a Deployment spec these tests read. */
export interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      serviceAccountName: string;
      terminationGracePeriodSeconds: number;
      securityContext?: Record<string, unknown>;
      containers: {
        name: string;
        image: string;
        env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        ports: { name: string; containerPort: number }[];
        livenessProbe: { httpGet: { path: string; port: string | number } };
        readinessProbe: { httpGet: { path: string; port: string | number } };
        resources: unknown;
        securityContext: Record<string, unknown>;
        volumeMounts: { name: string; mountPath: string }[];
      }[];
      volumes: { name: string; emptyDir?: unknown; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
    };
  };
}

describe('kustomize component deploy/components/network-policy', { skip: REAL_KUSTOMIZE ? false : 'needs kubectl or kustomize (components)' }, () => {
  const withPolicy = REAL_KUSTOMIZE ? renderOverlay([join(DEPLOY, 'components', 'network-policy')]).objects : [];

  it('adds one NetworkPolicy in the eventrouter namespace, over the router pods, and changes nothing else', async () => {
    const policy = only(withPolicy, 'NetworkPolicy');
    assert.equal(policy.metadata.namespace, 'eventrouter');
    const spec = policy['spec'] as NetworkPolicySpec;
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: DeploymentSpec };
    assert.deepEqual(spec.podSelector.matchLabels, deployment.spec.selector.matchLabels);
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(withPolicy.filter((o) => o.kind !== 'NetworkPolicy'), objects);
    for (const validator of [models, strict]) {
      if (validator !== undefined) assert.deepEqual(await validator.validate(policy), [], validator.source);
    }
  });

  it('admits only the metrics port, only from the monitoring namespace; lets out only the API server, the Collector and DNS', () => {
    assertNetworkPolicy(only(withPolicy, 'NetworkPolicy'), { apiServerCidrs: [] });
  });
});
