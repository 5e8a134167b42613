import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { valuesSchema, valuesSchemaText, VALUES_SCHEMA_PATH } from '../../deploy/helm/values-schema.ts';
import { walk } from '../../src/config/json-schema.ts';
import { ConfigError } from '../../src/config-kit/config-error.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { SINK_KIND_CONFIGS, configSchema } from '../../src/config/schema.ts';
import { DURATION_PATTERN, parseDuration } from '../../src/util/duration.ts';
import { type KubeObject, MISSING_DEPENDENCY, modelsValidator, openApiValidator, strictSkipReason } from './kube-schema.ts';
import { assertNetworkPolicy, assertRbac, assertSecureWorkload, type NetworkPolicySpec } from './manifest-assertions.ts';
import { CHART, CONFIG_MAP_NAME, DEPLOY, only, parseManifests, renderKustomize, renderOverlay } from './manifests.ts';
import { findPinnedTool, IN_CI, pinnedVersion, skipUnlessPresent } from './pinned-tool.ts';

const helm = findPinnedTool('helm', 'E2E_HELM_VERSION', 'HELM');
/** The example values files users start from (deploy/helm/examples/*.yaml). */
const EXAMPLES = join(DEPLOY, 'helm', 'examples');
const exampleFiles = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

/** The base with the network-policy component (kubectl kustomize). */
function renderKustomizeComponent(): KubeObject[] {
  return renderOverlay([join(DEPLOY, 'components', 'network-policy')]).objects;
}
const NO_HELM = `no helm binary (build the pinned one, helm ${pinnedVersion('E2E_HELM_VERSION')}: scripts/e2e-build helm; or set HELM)`;
/** helm built with `go install` defaults to Kubernetes v1.20 for Capabilities; the chart needs >= 1.27. */
const KUBE_VERSION = '1.37.2';

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm ?? 'helm', args, { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` with these `--set`s fails, and its error matches `message`. */
function assertRefused(set: string[], message: RegExp): void {
  const result = runHelm(['template', 'eventrouter', CHART, '--namespace', 'eventrouter', '--kube-version', KUBE_VERSION, ...set.flatMap((s) => ['--set', s])]);
  assert.notEqual(result.status, 0, `helm template ${set.join(' ')} should fail`);
  assert.match(result.stderr, message);
}

/** Sets `a.b[0].c` in a plain object tree, creating what is missing. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) ?? ''] = value;
}

function template(...set: string[]): KubeObject[] {
  return templateRelease('eventrouter', [], set);
}

/** `helm template <release>` in the eventrouter namespace with values files and `--set`s. */
function templateRelease(release: string, valuesFiles: string[], set: string[] = []): KubeObject[] {
  const args = ['template', release, CHART, '--namespace', 'eventrouter', '--kube-version', KUBE_VERSION];
  for (const file of valuesFiles) args.push('--values', file);
  for (const s of set) args.push('--set', s);
  const result = runHelm(args);
  assert.equal(result.status, 0, result.stderr);
  return parseManifests(result.stdout);
}

/** Kinds from CRDs, which the Kubernetes schemas do not cover. */
const CRD_KINDS = new Set(['ServiceMonitor', 'PrometheusRule']);

const validators = [await modelsValidator(), await openApiValidator()].filter((v) => v !== undefined);
const notValidated = [
  ...(validators.some((v) => v.source.startsWith('kubernetes-models')) ? [] : [MISSING_DEPENDENCY]),
  ...(validators.some((v) => v.source.includes('OpenAPI')) ? [] : [strictSkipReason()]),
];

async function assertSchemaValid(objects: KubeObject[]): Promise<void> {
  for (const validator of validators) {
    for (const object of objects) {
      if (CRD_KINDS.has(object.kind)) continue;
      assert.deepEqual(await validator.validate(object), [], `${validator.source}: ${object.kind}/${object.metadata.name}`);
    }
  }
}

type JsonSchema = Record<string, unknown>;

/** The object variants of a schema: itself, or its oneOf/anyOf members. */
function variants(schema: JsonSchema): JsonSchema[] {
  const members = [...((schema['oneOf'] ?? []) as JsonSchema[]), ...((schema['anyOf'] ?? []) as JsonSchema[])];
  return members.length > 0 ? members.flatMap(variants) : [schema];
}

/**
 * Every `a.b.c` key path of a JSON Schema: nested objects, and the items of `sinks` (each
 * sink type's options); not the route rules (`match`, `drop`: documented by their own key).
 */
function schemaKeyPaths(schema: JsonSchema, prefix = ''): string[] {
  return variants(schema).flatMap((variant) => {
    const properties = (variant['properties'] ?? {}) as Record<string, JsonSchema>;
    return Object.entries(properties).flatMap(([key, sub]) => {
      const items = sub['items'] as JsonSchema | undefined;
      const nested =
        sub['type'] === 'object' || sub['properties'] !== undefined
          ? schemaKeyPaths(sub, `${prefix}${key}.`)
          : key === 'sinks' && items !== undefined
            ? schemaKeyPaths(items, `${prefix}${key}[].`)
            : [];
      return [`${prefix}${key}`, ...nested];
    });
  });
}

describe('helm chart values (deploy/helm/eventrouter)', () => {
  const valuesText = readFileSync(join(CHART, 'values.yaml'), 'utf8');
  const values = parse(valuesText) as { config: unknown };

  it('lists every config key of src/config/schema.ts in values.yaml (set, or commented out when it has no default)', () => {
    const jsonSchema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    // A sink kind's own keys are listed for the kinds values.yaml shows (`type: otlp`, `# type:
    // stdout`); a kind it does not show is documented by the generated reference and schema only,
    // so that adding a kind takes no edit here.
    const shown = Object.entries(SINK_KIND_CONFIGS).filter(([kind]) => new RegExp(`^\\s*(#\\s*)?(- )?type: ${kind}\\b`, 'm').test(valuesText));
    const shownKeys = new Set(shown.flatMap(([, config]) => Object.keys(config.shape)));
    const kindKeys = new Set(Object.values(SINK_KIND_CONFIGS).flatMap((config) => Object.keys(config.shape)));
    assert.deepEqual(shown.map(([kind]) => kind), ['otlp', 'stdout']);
    const paths = [...new Set(schemaKeyPaths(jsonSchema))].filter((path) => {
      const key = /^sinks\[\]\.([^.]+)/.exec(path)?.[1];
      return key === undefined || !kindKeys.has(key) || shownKeys.has(key);
    });
    assert.ok(paths.includes('sinks[].endpoint') && paths.includes('sinks[].format') && paths.includes('source.emit.modified'), paths.join(' '));
    const missing = paths.filter((path) => {
      const key = path.split('.').at(-1) ?? path;
      return !new RegExp(`^\\s*(#\\s*)?(- )?${key}:`, 'm').test(valuesText);
    });
    assert.deepEqual(missing, []);
  });

  it("has a config that passes the product's own validation", () => {
    const config = parseConfig(values.config, {});
    assert.equal(config.leaderElection.enabled, true);
    assert.equal(config.checkpoint.store, 'configmap');
  });

  it('refuses in values.schema.json exactly the durations the loader refuses, at every duration key', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(VALUES_SCHEMA_PATH, 'utf8')) as object);
    assert.equal(validate(values), true, JSON.stringify(validate.errors));
    const keys: string[] = [];
    walk(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, (path, node) => {
      if (node['pattern'] === DURATION_PATTERN && !path.includes('[]')) keys.push(path);
    });
    keys.push('sinks[0].timeout', 'sinks[0].batchTimeout', 'sinks[0].initialBackoff', 'sinks[0].maxBackoff');
    assert.ok(keys.includes('source.watchTimeout') && keys.includes('checkpoint.interval') && keys.length >= 16, keys.join(' '));
    const samples = ['5min', '5 m', '5', '-1s', '1d', '', 'P5M', '1h30', '5m ', ' 15s', '0', '500ms', '1.5h', '1h30m', '10m'];
    const disagreements: string[] = [];
    for (const key of keys) {
      for (const sample of samples) {
        const withValue = structuredClone(values) as { config: Record<string, unknown> };
        setPath(withValue.config, key, sample);
        const chartAccepts = validate(withValue);
        // The loader parses every duration with parseDuration and refuses, at this key, what it
        // cannot parse. (A parsable value may still be refused for another reason: renewDeadline
        // must stay below leaseDuration.)
        const parsable = parseDuration(sample) !== undefined;
        if (chartAccepts !== parsable) disagreements.push(`${key}=${JSON.stringify(sample)}: chart ${chartAccepts}, loader ${parsable}`);
        if (!parsable) assert.ok(loaderProblems(withValue.config).some((p) => p.startsWith(`${key}:`)), `the loader refuses ${key}=${JSON.stringify(sample)}`);
      }
    }
    for (const sample of [...samples, 'all', 'ALL', ' all']) {
      const withValue = structuredClone(values) as { config: { source: Record<string, unknown> } };
      withValue.config.source['backfill'] = sample;
      const loaderAccepts = !loaderProblems(withValue.config).some((p) => p.startsWith('source.backfill:'));
      assert.equal(loaderAccepts, sample === 'all' || parseDuration(sample) !== undefined, `source.backfill=${JSON.stringify(sample)}`);
      if (validate(withValue) !== loaderAccepts) disagreements.push(`source.backfill=${JSON.stringify(sample)}: chart ${!loaderAccepts}, loader ${loaderAccepts}`);
    }
    assert.deepEqual(disagreements, []);
  });

  it('ships a values.schema.json generated from the current config schema', () => {
    assert.equal(readFileSync(VALUES_SCHEMA_PATH, 'utf8'), valuesSchemaText(), 'stale: run node_modules/.bin/node deploy/helm/values-schema.ts');
  });
});

describe('helm chart rendering (helm lint, helm template)', { skip: skipUnlessPresent(helm, NO_HELM) }, () => {
  it('runs a helm the chart accepts (in CI a missing helm fails here instead of skipping the suite)', () => {
    assert.ok(helm !== undefined, NO_HELM);
    const version = runHelm(['version', '--template', '{{.Version}}']);
    assert.equal(version.status, 0, version.stderr);
    const [major = 0, minor = 0] = version.stdout.trim().replace(/^v/, '').split('.').map(Number);
    assert.ok(major > 3 || (major === 3 && minor >= 18), `helm ${version.stdout} is older than 3.18.0`);
  });

  it('passes helm lint --strict', () => {
    const result = runHelm(['lint', '--strict', '--kube-version', KUBE_VERSION, CHART]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('renders the same objects as the kustomize base, minus the Namespace (helm --create-namespace)', () => {
    const rendered = template().map((o) => o.kind).sort();
    const kustomized = renderKustomize().objects.map((o) => o.kind).filter((k) => k !== 'Namespace').sort();
    assert.ok(rendered.includes('PodDisruptionBudget'), 'two replicas: a PDB');
    assert.deepEqual(rendered, kustomized);
  });

  it('renders objects that validate against the Kubernetes schemas', { skip: validators.length === 0 && !IN_CI ? [...new Set(notValidated)].join('; ') : false }, async (t) => {
    if (notValidated.length > 0) t.diagnostic(`not validated: ${[...new Set(notValidated)].join('; ')}`);
    assert.deepEqual(IN_CI ? notValidated : [], [], 'CI validates with both the kubernetes-models schemas and the strict OpenAPI spec');
    await assertSchemaValid(template());
  });

  it('renders the same pod spec as the kustomize base', () => {
    const podSpec = (objects: KubeObject[]) => {
      const spec = structuredClone((only(objects, 'Deployment')['spec'] as { template: { spec: Record<string, unknown> } }).template.spec);
      delete spec['topologySpreadConstraints'];
      // kustomize's generated ConfigMap name carries a content hash.
      for (const volume of spec['volumes'] as { configMap?: { name: string } }[]) {
        if (volume.configMap && CONFIG_MAP_NAME.test(volume.configMap.name)) volume.configMap.name = 'eventrouter-config';
      }
      return spec;
    };
    assert.deepEqual(podSpec(template()), podSpec(renderKustomize().objects));
  });

  it('renders a secure workload and exactly the RBAC eventrouter needs', () => {
    const objects = template();
    assertSecureWorkload(only(objects, 'Deployment'));
    assertRbac(objects, { namespace: 'eventrouter', serviceAccount: 'eventrouter', leaseName: 'eventrouter', checkpointConfigMap: 'eventrouter-checkpoint' });
  });

  it("renders values.config into a config.yaml that passes the product's own validation", () => {
    const configMap = only(template('config.clusterName=prod-eu-1', 'config.source.pageSize=250'), 'ConfigMap') as KubeObject & { data: Record<string, string> };
    const config = parseConfig(parse(configMap.data['config.yaml'] ?? ''), {});
    assert.equal(config.clusterName, 'prod-eu-1');
    assert.equal(config.source.pageSize, 250);
    assert.equal(config.sinks?.[0]?.name, 'collector');
  });

  it('honours the chart options (image, replicas, scheduling, extraEnv, serviceMonitor, rbac, PDB)', async () => {
    const objects = template(
      'image.repository=registry.example/eventrouter',
      'image.tag=1.2.3',
      'replicaCount=3',
      'nodeSelector.kubernetes\\.io/os=linux',
      'tolerations[0].key=dedicated',
      'tolerations[0].operator=Exists',
      'extraEnv[0].name=OTEL_EXPORTER_OTLP_HEADERS',
      'extraEnv[0].valueFrom.secretKeyRef.name=otlp-auth',
      'extraEnv[0].valueFrom.secretKeyRef.key=headers',
      'serviceMonitor.enabled=true',
      'config.leaderElection.leaseName=er-lease',
      'config.checkpoint.configMapName=er-checkpoint',
    );
    await assertSchemaValid(objects);
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: { replicas: number; template: { spec: Record<string, unknown> } } };
    assert.equal(deployment.spec.replicas, 3);
    const pod = deployment.spec.template.spec as { nodeSelector: unknown; tolerations: unknown; containers: { image: string; env: { name: string }[] }[] };
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(pod.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.equal(pod.containers[0]?.image, 'registry.example/eventrouter:1.2.3');
    assert.deepEqual(pod.containers[0]?.env.map((e) => e.name), ['POD_NAME', 'POD_NAMESPACE', 'EVENTROUTER_CONFIG', 'OTEL_EXPORTER_OTLP_HEADERS']);
    const monitor = only(objects, 'ServiceMonitor') as KubeObject & { spec: { endpoints: { port: string }[] } };
    assert.deepEqual(monitor.spec.endpoints.map((e) => e.port), ['metrics']);
    assertRbac(objects, { namespace: 'eventrouter', serviceAccount: 'eventrouter', leaseName: 'er-lease', checkpointConfigMap: 'er-checkpoint' });

    const bare = template('rbac.create=false', 'podDisruptionBudget.enabled=false', 'serviceAccount.create=false', 'serviceAccount.name=existing');
    assert.deepEqual(bare.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'Service']);
    assert.equal((only(bare, 'Deployment')['spec'] as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName, 'existing');
  });

  it('honours the pod values of other charts (extraVolumes/-Mounts, extraEnvFrom, podAnnotations/-Labels, priorityClassName, topologySpreadConstraints)', async () => {
    const objects = template(
      'extraVolumes[0].name=otlp-tls',
      'extraVolumes[0].secret.secretName=otlp-client-tls',
      'extraVolumeMounts[0].name=otlp-tls',
      'extraVolumeMounts[0].mountPath=/etc/eventrouter-tls',
      'extraVolumeMounts[0].readOnly=true',
      'extraEnvFrom[0].secretRef.name=otlp-env',
      'podAnnotations.example\\.com/owner=platform',
      'podLabels.team=platform',
      'priorityClassName=platform-high',
      'topologySpreadConstraints[0].maxSkew=1',
      'topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone',
      'topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
    );
    await assertSchemaValid(objects);
    assertSecureWorkload(only(objects, 'Deployment'));
    const podTemplate = (only(objects, 'Deployment')['spec'] as { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, any> } }).template;
    const pod = podTemplate.spec;
    assert.deepEqual(pod['volumes'].at(-1), { name: 'otlp-tls', secret: { secretName: 'otlp-client-tls' } });
    assert.deepEqual(pod['containers'][0].volumeMounts.at(-1), { name: 'otlp-tls', mountPath: '/etc/eventrouter-tls', readOnly: true });
    assert.deepEqual(pod['containers'][0].envFrom, [{ secretRef: { name: 'otlp-env' } }]);
    assert.equal(podTemplate.metadata.annotations['example.com/owner'], 'platform');
    assert.ok(podTemplate.metadata.annotations['checksum/config'], 'the config checksum stays');
    assert.equal(podTemplate.metadata.labels['team'], 'platform');
    assert.equal(podTemplate.metadata.labels['app.kubernetes.io/instance'], 'eventrouter', 'the selector labels stay');
    assert.equal(pod['priorityClassName'], 'platform-high');
    assert.deepEqual(pod['topologySpreadConstraints'], [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }]);
  });

  it('names the Lease and the checkpoint ConfigMap after the release: two releases in one namespace share no object', () => {
    const names = (objects: KubeObject[]) => {
      const config = renderedConfig(objects);
      // The Lease and the checkpoint ConfigMap are created at run time, under the configured names.
      return [...objects.map((o) => `${o.kind}/${o.metadata.name}`), `Lease/${config.leaderElection.leaseName}`, `ConfigMap/${config.checkpoint.configMapName}`];
    };
    const blue = templateRelease('blue', []);
    const green = templateRelease('green', []);
    assert.deepEqual(names(blue).filter((n) => names(green).includes(n)), []);
    assert.equal(renderedConfig(blue).leaderElection.leaseName, 'blue-eventrouter');
    assert.equal(renderedConfig(blue).checkpoint.configMapName, 'blue-eventrouter-checkpoint');
    assertRbac(blue, { namespace: 'eventrouter', serviceAccount: 'blue-eventrouter', leaseName: 'blue-eventrouter', checkpointConfigMap: 'blue-eventrouter-checkpoint' });
    assertRbac(green, { namespace: 'eventrouter', serviceAccount: 'green-eventrouter', leaseName: 'green-eventrouter', checkpointConfigMap: 'green-eventrouter-checkpoint' });
    // The release "eventrouter" keeps the kustomize base's names.
    assert.equal(renderedConfig(template()).leaderElection.leaseName, 'eventrouter');
    assert.equal(renderedConfig(template()).checkpoint.configMapName, 'eventrouter-checkpoint');
  });

  it('finds example values files to check', () => {
    assert.ok(exampleFiles.length >= 3, exampleFiles.join(' '));
  });

  for (const file of exampleFiles) {
    it(`passes helm lint and renders valid, secure objects whose config finds its files and variables: examples/${file}`, async () => {
      const path = join(EXAMPLES, file);
      const lint = runHelm(['lint', '--strict', '--kube-version', KUBE_VERSION, '--values', path, CHART]);
      assert.equal(lint.status, 0, lint.stdout + lint.stderr);
      const objects = templateRelease('eventrouter', [path]);
      await assertSchemaValid(objects);
      const deployment = only(objects, 'Deployment');
      assertSecureWorkload(deployment);
      const config = renderedConfig(objects, podEnvironment(deployment));
      const mounts = podMounts(deployment);
      for (const [key, file] of configFiles(parse((only(objects, 'ConfigMap') as KubeObject & { data: Record<string, string> }).data['config.yaml'] ?? ''), config)) {
        assert.ok(mounts.some((m) => file.startsWith(`${m.mountPath}/`)), `${key}: ${file} is on no volume of the pod (${mounts.map((m) => m.mountPath).join(', ')})`);
      }
      if (objects.some((o) => o.kind === 'Role')) {
        assertRbac(objects, { namespace: 'eventrouter', serviceAccount: 'eventrouter', leaseName: config.leaderElection.leaseName, checkpointConfigMap: config.checkpoint.configMapName });
      }
    });
  }

  it('tells a volume mounted inside the read-only config volume (the check each example passes)', () => {
    const objects = template('extraVolumes[0].name=tls', 'extraVolumes[0].secret.secretName=tls', 'extraVolumeMounts[0].name=tls', 'extraVolumeMounts[0].mountPath=/etc/eventrouter/tls');
    assert.throws(() => podMounts(only(objects, 'Deployment')), /\/etc\/eventrouter\/tls is inside the configMap volume config/);
  });

  it('renders the shipped alerting rules (files/eventrouter-rules.yaml, tested by test/alerts/) as a PrometheusRule when enabled', () => {
    assert.deepEqual(template().filter((o) => o.kind === 'PrometheusRule'), []);
    const rule = only(template('prometheusRule.enabled=true', 'prometheusRule.labels.release=kube-prometheus-stack'), 'PrometheusRule') as KubeObject & { spec: unknown };
    assert.equal(rule.metadata.labels?.['release'], 'kube-prometheus-stack');
    // The annotations' Prometheus templates ({{ $labels.sink }}) come through as text.
    assert.deepEqual(rule.spec, parse(readFileSync(join(CHART, 'files', 'eventrouter-rules.yaml'), 'utf8')));
  });

  it('renders no PodDisruptionBudget over a single replica (it would block node drains), maxUnavailable: 1 over several', () => {
    assert.deepEqual(template('replicaCount=1').filter((o) => o.kind === 'PodDisruptionBudget'), []);
    const pdb = only(template('replicaCount=3'), 'PodDisruptionBudget') as KubeObject & { spec: Record<string, unknown> };
    assert.equal(pdb.spec['maxUnavailable'], 1);
    assert.equal(pdb.spec['minAvailable'], undefined);
  });

  it('derives config.server.listen from service.port: the router listens where the container port, the probes and the Service point', () => {
    const objects = template('service.port=9090');
    assert.equal(renderedConfig(objects).server.listen, '0.0.0.0:9090');
    const container = (only(objects, 'Deployment')['spec'] as { template: { spec: { containers: Record<string, any>[] } } }).template.spec.containers[0];
    assert.deepEqual(container?.['ports'], [{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    assert.equal(container?.['livenessProbe'].httpGet.port, 'metrics');
    assert.equal(container?.['readinessProbe'].httpGet.port, 'metrics');
    const service = only(objects, 'Service')['spec'] as { ports: { port: number; targetPort: string }[] };
    assert.deepEqual(service.ports.map((p) => [p.port, p.targetPort]), [[9090, 'metrics']]);
    // The same value set explicitly is fine; another is refused with what to do.
    assert.equal(renderedConfig(template('service.port=9090', 'config.server.listen=0.0.0.0:9090')).server.listen, '0.0.0.0:9090');
    assertRefused(['service.port=9090', 'config.server.listen=0.0.0.0:8080'], /config\.server\.listen .*service\.port/);
  });

  it('passes config.server.metricsListen through to restrict /metrics, and refuses it with a ServiceMonitor that would scrape service.port', () => {
    assert.equal(renderedConfig(template('config.server.metricsListen=127.0.0.1:9090')).server.metricsListen, '127.0.0.1:9090');
    assert.equal(renderedConfig(template('config.server.metricsListen=')).server.metricsListen, '');
    assert.equal(renderedConfig(template()).server.metricsListen, undefined, 'unset by default: /metrics on service.port');
    assertRefused(['config.server.metricsListen=127.0.0.1:9090', 'serviceMonitor.enabled=true'], /serviceMonitor\.enabled .*metricsListen/);
  });

  it('refuses a duration the router would refuse (config.source.watchTimeout=5min) at install time', () => {
    assertRefused(['config.source.watchTimeout=5min'], /watchTimeout/);
    assertRefused(['config.sinks[0].timeout=10 s'], /timeout/);
    assert.equal(renderedConfig(template('config.source.watchTimeout=1h30m')).source.watchTimeout, 5_400_000);
  });

  it('defaults to the ConfigMap checkpoint store, with get/update by name and create (which resourceNames cannot limit)', () => {
    const objects = template();
    assert.equal(renderedConfig(objects).checkpoint.store, 'configmap');
    assert.deepEqual(objects.filter((o) => o.kind === 'PersistentVolumeClaim'), []);
    const pod = (only(objects, 'Deployment')['spec'] as { template: { spec: { volumes: { name: string }[] } } }).template.spec;
    assert.deepEqual(pod.volumes.map((v) => v.name).sort(), ['config', 'tmp'], 'no checkpoint volume');
    assertRbac(objects, { namespace: 'eventrouter', serviceAccount: 'eventrouter', leaseName: 'eventrouter', checkpointConfigMap: 'eventrouter-checkpoint' });
  });

  it('keeps a file checkpoint on a PersistentVolumeClaim (one replica, Recreate), and refuses it on an emptyDir or with several replicas', async () => {
    const file = ['config.checkpoint.store=file', 'replicaCount=1', 'config.leaderElection.enabled=false'];
    assertRefused(file, /persistence\.enabled/);
    assertRefused(['config.checkpoint.store=file', 'persistence.enabled=true'], /replicaCount > 1 needs config\.checkpoint\.store: configmap/);
    assertRefused(['persistence.enabled=true'], /persistence\.enabled is for config\.checkpoint\.store: file/);
    assertRefused([...file, 'persistence.enabled=true', 'config.checkpoint.path=/data/checkpoint.json'], /under \/var\/lib\/eventrouter/);
    const objects = template(...file, 'persistence.enabled=true', 'persistence.size=128Mi');
    await assertSchemaValid(objects);
    assert.equal(renderedConfig(objects).checkpoint.store, 'file');
    const claim = only(objects, 'PersistentVolumeClaim') as KubeObject & { spec: { accessModes: string[]; resources: { requests: { storage: string } } } };
    assert.equal(claim.metadata.name, 'eventrouter-checkpoint');
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
    assert.equal(claim.spec.resources.requests.storage, '128Mi');
    const deployment = only(objects, 'Deployment')['spec'] as { strategy: { type: string }; template: { spec: { volumes: Record<string, any>[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } };
    assert.equal(deployment.strategy.type, 'Recreate');
    assert.deepEqual(deployment.template.spec.volumes.find((v) => v['name'] === 'state')?.['persistentVolumeClaim'], { claimName: 'eventrouter-checkpoint' });
    assert.ok(deployment.template.spec.containers[0]?.volumeMounts.some((m) => m.name === 'state' && m.mountPath === '/var/lib/eventrouter'));
    assert.deepEqual(objects.filter((o) => o.kind === 'PodDisruptionBudget' || o.kind === 'Role'), [], 'one replica: no PDB; no Lease or ConfigMap: no Role');
    const existing = template(...file, 'persistence.enabled=true', 'persistence.existingClaim=my-claim');
    assert.deepEqual(existing.filter((o) => o.kind === 'PersistentVolumeClaim'), []);
    assert.deepEqual((only(existing, 'Deployment')['spec'] as typeof deployment).template.spec.volumes.find((v) => v['name'] === 'state')?.['persistentVolumeClaim'], { claimName: 'my-claim' });
  });

  it('refuses a Lease or checkpoint namespace its Role does not cover', () => {
    assertRefused(['config.checkpoint.namespace=other'], /config\.checkpoint\.namespace "other"/);
    assertRefused(['config.leaderElection.leaseNamespace=other'], /config\.leaderElection\.leaseNamespace "other"/);
    assert.ok(template('config.checkpoint.namespace=eventrouter').some((o) => o.kind === 'Role'));
  });

  it('renders an optional NetworkPolicy: the metrics port from the configured peers, egress to the API server, the Collector and DNS', async () => {
    assert.deepEqual(template().filter((o) => o.kind === 'NetworkPolicy'), [], 'off by default');
    const objects = template('networkPolicy.enabled=true');
    await assertSchemaValid(objects);
    const policy = only(objects, 'NetworkPolicy');
    assert.deepEqual((policy['spec'] as NetworkPolicySpec).podSelector.matchLabels, (only(objects, 'Deployment')['spec'] as { selector: { matchLabels: unknown } }).selector.matchLabels);
    assertNetworkPolicy(policy, { apiServerCidrs: [] });
    // The same policy as the kustomize component.
    assert.deepEqual(policy['spec'], only(renderKustomizeComponent(), 'NetworkPolicy')['spec']);
    const narrowed = only(
      template(
        'networkPolicy.enabled=true',
        'networkPolicy.apiServer.cidrs[0]=10.0.0.1/32',
        'networkPolicy.metrics.from[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=prometheus',
        'networkPolicy.collector.to[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=otel',
      ),
      'NetworkPolicy',
    );
    assertNetworkPolicy(narrowed, { apiServerCidrs: ['10.0.0.1/32'], metricsFrom: 'prometheus', collector: 'otel' });
    const closed = only(template('networkPolicy.enabled=true', 'networkPolicy.metrics.from=null'), 'NetworkPolicy');
    assert.deepEqual((closed['spec'] as NetworkPolicySpec).ingress, [], 'no peers: no ingress at all');
    assertRefused(['networkPolicy.enabled=true', 'networkPolicy.collector.to=null'], /networkPolicy\.collector\.to is empty/);
  });

  it('states the Helm version it needs (draft 2020-12 schema) in Chart.yaml, and refuses an older Helm', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { annotations: Record<string, string> };
    assert.equal(chart.annotations['eventrouter.io/helm-version'], '>=3.18.0');
    assert.equal(valuesSchema()['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    const helpers = readFileSync(join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    assert.match(helpers, /semverCompare ">=3\.18\.0-0" \.Capabilities\.HelmVersion\.Version/);
  });

  it('rejects an unknown config key and several replicas without leader election', () => {
    const unknown = runHelm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, '--set', 'config.source.bogus=1']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /bogus/);
    const noLeader = runHelm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, '--set', 'config.leaderElection.enabled=false']);
    assert.notEqual(noLeader.status, 0);
    assert.match(noLeader.stderr, /leaderElection/);
  });
});

/** What the product's own validation says about a config (no problems: []). */
function loaderProblems(config: unknown): string[] {
  try {
    parseConfig(config, {});
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/**
 * The rendered ConfigMap's config.yaml, through the product's own validation, with `env` as
 * the pod's environment. Files the config names cannot exist here: "does not exist" problems
 * are left to {@link configFiles} (is each on a volume of the pod?); any other problem fails.
 */
function renderedConfig(objects: KubeObject[], env: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  const configMap = only(objects, 'ConfigMap') as KubeObject & { data: Record<string, string> };
  const raw = parse(configMap.data['config.yaml'] ?? '') as unknown;
  try {
    return parseConfig(raw, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const others = error.problems.filter((p) => !/ does not exist$/.test(p));
    assert.deepEqual(others, [], 'the rendered config.yaml passes the product validation');
    return parseConfig(withoutFileChecks(raw), env);
  }
}

/** `raw` with every file path it names replaced by this test file (which exists). */
function withoutFileChecks(raw: unknown): unknown {
  const here = new URL(import.meta.url).pathname;
  const visit = (node: unknown, key = ''): unknown => {
    if (Array.isArray(node)) return node.map((n) => visit(n));
    if (node === null || typeof node !== 'object') return /File$/.test(key) && typeof node === 'string' ? here : node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'file' && typeof v === 'string' ? here : visit(v, k)]));
  };
  return visit(raw);
}

/** Every file a config reads (`*File` keys, `{file: PATH}` values of the `raw` file) or writes (the file checkpoint), by key path. */
function configFiles(raw: unknown, config: ReturnType<typeof parseConfig>): [string, string][] {
  const found: [string, string][] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string' && (/File$/.test(key) || key === 'file')) found.push([`${path}.${key}`.slice(1), value]);
      else visit(value, `${path}.${key}`);
    }
  };
  visit(raw, '');
  if (config.checkpoint.store === 'file') found.push(['checkpoint.path', config.checkpoint.path]);
  return found;
}

type PodSpec = { volumes: Record<string, unknown>[]; containers: { env?: { name: string }[]; volumeMounts: { name: string; mountPath: string }[] }[] };

/** The pod's environment as the router sees it (names only: values come from the cluster). */
function podEnvironment(deployment: KubeObject): Record<string, string> {
  const pod = (deployment['spec'] as { template: { spec: PodSpec } }).template.spec;
  return Object.fromEntries((pod.containers[0]?.env ?? []).map((e) => [e.name, `value of ${e.name}`]));
}

/**
 * The container's mounts. A mount inside a configMap, secret or projected volume cannot work:
 * those are read-only, so the runtime cannot create its mount point there (throws).
 */
function podMounts(deployment: KubeObject): { name: string; mountPath: string }[] {
  const pod = (deployment['spec'] as { template: { spec: PodSpec } }).template.spec;
  const mounts = pod.containers[0]?.volumeMounts ?? [];
  for (const outer of mounts) {
    const volume = pod.volumes.find((v) => v['name'] === outer.name) ?? {};
    const kind = ['configMap', 'secret', 'projected'].find((k) => k in volume);
    if (kind === undefined) continue;
    for (const inner of mounts) {
      if (posix.normalize(inner.mountPath).startsWith(`${posix.normalize(outer.mountPath)}/`)) {
        throw new Error(`${inner.mountPath} is inside the ${kind} volume ${outer.name} (${outer.mountPath}): mount it beside, not inside`);
      }
    }
  }
  return mounts;
}
