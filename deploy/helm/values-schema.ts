// Generates deploy/helm/eventrouter/values.schema.json: the chart's own values, plus
// `config` = the product's configuration schema (src/config/schema.ts, as printed by
// `eventrouter config schema`), so that `helm install/lint/template` rejects an unknown
// or mistyped config key before the pod does.
//
//   node_modules/.bin/node deploy/helm/values-schema.ts          # rewrite the file
//   node_modules/.bin/node deploy/helm/values-schema.ts --check  # exit 1 when it is stale
//
// test/deploy/helm.test.ts runs the check.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';

export const VALUES_SCHEMA_PATH = fileURLToPath(new URL('./eventrouter/values.schema.json', import.meta.url));

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});
/** Kubernetes objects passed through verbatim (the API server validates them). */
const passthrough = (description: string) => ({ type: 'object', description });
const list = (description: string) => ({ type: 'array', items: { type: 'object' }, description });
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const portList = { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 65535 } };

/** The values schema, as a JSON value. */
export function valuesSchema(): Record<string, unknown> {
  const config = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete config['$schema'];
  config['description'] = 'eventrouter configuration, rendered as config.yaml (see `eventrouter config schema`)';
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'eventrouter Helm chart values',
    ...object({
      replicaCount: { type: 'integer', minimum: 1 },
      image: object({
        repository: { type: 'string', minLength: 1 },
        tag: { type: 'string' },
        digest: { type: 'string', pattern: '^(|sha256:[a-f0-9]{64})$' },
        pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
      }),
      imagePullSecrets: list('LocalObjectReferences'),
      nameOverride: { type: 'string' },
      fullnameOverride: { type: 'string' },
      serviceAccount: object({ create: { type: 'boolean' }, name: { type: 'string' }, annotations: stringMap }),
      rbac: object({ create: { type: 'boolean' } }),
      config,
      extraEnv: list('EnvVar list appended to the container env (OTEL_EXPORTER_OTLP_*, secrets via valueFrom)'),
      extraEnvFrom: list('EnvFromSource list'),
      extraVolumes: list('Volumes added to the pod (e.g. the Secret of config.sinks[].tls)'),
      extraVolumeMounts: list('VolumeMounts added to the container (beside /etc/eventrouter, not inside it)'),
      resources: passthrough('ResourceRequirements'),
      terminationGracePeriodSeconds: { type: 'integer', minimum: 1 },
      podAnnotations: stringMap,
      podLabels: stringMap,
      priorityClassName: { type: 'string' },
      nodeSelector: stringMap,
      tolerations: list('Tolerations'),
      affinity: passthrough('Affinity'),
      topologySpreadConstraints: list('TopologySpreadConstraints; empty: spread over nodes (soft)'),
      podSecurityContext: passthrough('PodSecurityContext'),
      securityContext: passthrough('SecurityContext of the container'),
      livenessProbe: passthrough('Probe'),
      readinessProbe: passthrough('Probe'),
      service: object({
        port: { type: 'integer', minimum: 1, maximum: 65535, description: 'the one port: Service, container, probes, and config.server.listen (derived)' },
        annotations: stringMap,
      }),
      persistence: object({
        enabled: { type: 'boolean' },
        existingClaim: { type: 'string' },
        storageClassName: { type: 'string' },
        accessModes: { type: 'array', minItems: 1, items: { enum: ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'] } },
        size: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$' },
      }),
      podDisruptionBudget: object({ enabled: { type: 'boolean' }, maxUnavailable: { type: ['integer', 'string'] } }),
      networkPolicy: object({
        enabled: { type: 'boolean' },
        metrics: object({ from: list('NetworkPolicyPeers allowed to reach the metrics port; empty: none') }),
        apiServer: object({
          cidrs: { type: 'array', items: { type: 'string', minLength: 1 }, description: "the API server's addresses (CIDRs); empty: any address on `ports`" },
          ports: portList,
        }),
        collector: object({ to: list('NetworkPolicyPeers of the OTLP endpoints'), ports: portList }),
        dns: { type: 'boolean' },
      }),
      serviceMonitor: object({
        enabled: { type: 'boolean' },
        interval: { type: 'string' },
        scrapeTimeout: { type: 'string' },
        labels: stringMap,
      }),
      prometheusRule: object({
        enabled: { type: 'boolean' },
        labels: stringMap,
      }),
    }),
  };
}

export function valuesSchemaText(): string {
  return `${JSON.stringify(valuesSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = valuesSchemaText();
  if (process.argv.includes('--check')) {
    const current = readFileSync(VALUES_SCHEMA_PATH, 'utf8');
    if (current !== text) {
      process.stderr.write(`${VALUES_SCHEMA_PATH} is stale: run node_modules/.bin/node deploy/helm/values-schema.ts\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(VALUES_SCHEMA_PATH, text);
    process.stdout.write(`wrote ${VALUES_SCHEMA_PATH}\n`);
  }
}
