import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { valuesSchemaText, VALUES_SCHEMA_PATH } from '../../deploy/helm/values-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { configSchema } from '../../src/config/schema.ts';
import { type KubeObject, MISSING_DEPENDENCY, modelsValidator, openApiValidator, strictSkipReason } from './kube-schema.ts';
import { assertRbac, assertSecureWorkload } from './manifest-assertions.ts';
import { CHART, findHelm, only, parseManifests, renderKustomize } from './manifests.ts';

const helm = findHelm();
const NO_HELM = 'no helm binary (build one: GOBIN=$HOME/.cache/eventrouter-e2e/helm go install helm.sh/helm/v3/cmd/helm@v3.22.0, or set HELM)';
/** helm built with `go install` defaults to Kubernetes v1.20 for Capabilities; the chart needs >= 1.27. */
const KUBE_VERSION = '1.37.2';

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm ?? 'helm', args, { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function template(...set: string[]): KubeObject[] {
  const args = ['template', 'eventrouter', CHART, '--namespace', 'eventrouter', '--kube-version', KUBE_VERSION];
  for (const s of set) args.push('--set', s);
  const result = runHelm(args);
  assert.equal(result.status, 0, result.stderr);
  return parseManifests(result.stdout);
}

/** Kinds from CRDs, which the Kubernetes schemas do not cover. */
const CRD_KINDS = new Set(['ServiceMonitor']);

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
    const paths = [...new Set(schemaKeyPaths(jsonSchema))];
    assert.ok(paths.includes('sinks[].endpoint') && paths.includes('source.emit.modified'), paths.join(' '));
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

  it('ships a values.schema.json generated from the current config schema', () => {
    assert.equal(readFileSync(VALUES_SCHEMA_PATH, 'utf8'), valuesSchemaText(), 'stale: run node_modules/.bin/node deploy/helm/values-schema.ts');
  });
});

describe('helm chart rendering (helm lint, helm template)', { skip: helm === undefined ? NO_HELM : false }, () => {
  it('passes helm lint --strict', () => {
    const result = runHelm(['lint', '--strict', '--kube-version', KUBE_VERSION, CHART]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('renders the same objects as the kustomize base, minus the Namespace (helm --create-namespace)', () => {
    const rendered = template().map((o) => o.kind).sort();
    const kustomized = renderKustomize().objects.map((o) => o.kind).filter((k) => k !== 'Namespace').sort();
    assert.deepEqual(rendered, kustomized);
  });

  it('renders objects that validate against the Kubernetes schemas', { skip: validators.length === 0 ? [...new Set(notValidated)].join('; ') : false }, async (t) => {
    if (notValidated.length > 0) t.diagnostic(`not validated: ${[...new Set(notValidated)].join('; ')}`);
    await assertSchemaValid(template());
  });

  it('renders the same pod spec as the kustomize base', () => {
    const podSpec = (objects: KubeObject[]) => {
      const spec = structuredClone((only(objects, 'Deployment')['spec'] as { template: { spec: Record<string, unknown> } }).template.spec);
      delete spec['topologySpreadConstraints'];
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

  it('rejects an unknown config key and several replicas without leader election', () => {
    const unknown = runHelm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, '--set', 'config.source.bogus=1']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /bogus/);
    const noLeader = runHelm(['template', 'x', CHART, '--kube-version', KUBE_VERSION, '--set', 'config.leaderElection.enabled=false']);
    assert.notEqual(noLeader.status, 0);
    assert.match(noLeader.stderr, /leaderElection/);
  });
});
