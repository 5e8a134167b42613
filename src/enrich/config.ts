import { z } from 'zod';
import { duration, stringList } from '../config-kit/schema-kit.ts';

/** `enrich`: the owner lookups and `service.*` rules (owner-enricher.ts, service-attributes.ts). */
export const enrichConfigSchema = z
  .object({
    owners: z
      .boolean()
      .default(true)
      .describe(
        'Follow ownerReferences of the involved object (Pod → ReplicaSet → Deployment, Job → CronJob, StatefulSet, DaemonSet, ReplicationController).',
      ),
    serviceName: z
      .boolean()
      .default(true)
      .describe("Set service.name/namespace/version/instance.id by the semantic conventions' Kubernetes rules."),
    labels: stringList().describe('Globs of label keys copied as k8s.<kind>.label.<key>.'),
    annotations: stringList().describe('Globs of annotation keys copied as k8s.<kind>.annotation.<key>.'),
    cacheSize: z.number().int().min(1).default(10_000).describe('Objects kept in the metadata cache (LRU).'),
    cacheTtl: duration('5m').describe('How long a looked-up object (or a 404/403) is cached.'),
    qps: z.number().positive().default(20).describe('API lookups per second at most (token bucket).'),
    deadline: duration('2s').describe('After this, a record goes out with what is known; the lookup completes for later records.'),
  })
  .strict()
  .prefault({})
  .describe('Resource attributes looked up from the API.');

export type EnrichConfig = z.output<typeof enrichConfigSchema>;
