import { z } from 'zod';
import { checkpointConfigSchema } from '../checkpoint/config.ts';
import { duration } from '../config-kit/schema-kit.ts';
import { enrichConfigSchema } from '../enrich/config.ts';
import { leaderElectionConfigSchema } from '../leader/config.ts';
import { type RuleConfig, ruleList } from '../rules/config.ts';
import { serverConfigSchema } from '../server/config.ts';
import { type SinkKindConfig, sinkCommonShape } from '../sinks/config.ts';
import { SINK_KINDS, type SinkConfig, type SinkKind } from '../sinks/sink-kinds.ts';
import { sourceConfigSchema } from '../source/config.ts';
import { logConfigSchema, selfMetricsConfigSchema } from '../telemetry/config.ts';

/*
 * The root of the config, composed from the components' own schemas (each folder's config.ts,
 * as a Collector component carries its config.go): every key's default and description is
 * written there, once. The JSON Schema (`eventrouter config schema`), the reference
 * (docs/configuration.md) and the Helm chart's values.schema.json are generated from this.
 */

/** Each sink kind's config, loaded from the registry (src/sinks/sink-kinds.ts), in its order. */
export const SINK_KIND_CONFIGS = Object.fromEntries(
  await Promise.all(Object.entries(SINK_KINDS).map(async ([kind, modules]) => [kind, (await modules.config()).config] as const)),
) as unknown as Record<SinkKind, SinkKindConfig>;

const kindNames = Object.keys(SINK_KIND_CONFIGS);
const kindList = kindNames.length === 1 ? kindNames[0] : `${kindNames.slice(0, -1).join(', ')} or ${kindNames.at(-1)}`;

/** One sink entry of kind `kind`: the common keys, `type`, the kind's own keys. */
function sinkEntrySchema(kind: string, config: SinkKindConfig) {
  return z
    .object({ ...sinkCommonShape, type: z.literal(kind).describe(`${kindList}.`), ...config.shape })
    .strict();
}

const [firstKind, ...otherKinds] = Object.entries(SINK_KIND_CONFIGS).map(([kind, config]) => sinkEntrySchema(kind, config));
if (firstKind === undefined) throw new Error('no sink kind registered (src/sinks/sink-kinds.ts)');

/** Any sink entry, told apart by `type`. */
export const sinkSchema = z.discriminatedUnion('type', [firstKind, ...otherKinds]).describe('A sink.') as unknown as z.ZodType<SinkConfig, Record<string, unknown>>;

export const configSchema = z
  .object({
    clusterName: z.string().default('').describe('k8s.cluster.name on every resource (also EVENTROUTER_CLUSTER_NAME).'),
    source: sourceConfigSchema,
    checkpoint: checkpointConfigSchema,
    leaderElection: leaderElectionConfigSchema,
    enrich: enrichConfigSchema,
    drop: ruleList("Global drop rules, applied before the sinks' own rules."),
    sinks: z
      .array(sinkSchema)
      // In the schema, and run even when a sink has other problems, so that a duplicate name is
      // reported together with them (every problem in one pass).
      .superRefine(
        (sinks, ctx) => {
          const seen = new Set<unknown>();
          (Array.isArray(sinks) ? (sinks as unknown[]) : []).forEach((sink, i) => {
            const name = typeof sink === 'object' && sink !== null ? (sink as { name?: unknown }).name : undefined;
            if (typeof name !== 'string') return;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate sink name "${name}"` });
            seen.add(name);
          });
        },
        { when: () => true },
      )
      .optional()
      .describe('Where records go; several at once. Default: one OTLP sink configured by OTEL_EXPORTER_OTLP_*.'),
    server: serverConfigSchema,
    selfMetrics: selfMetricsConfigSchema,
    log: logConfigSchema,
    shutdownTimeout: duration('25s').describe(
      'On SIGTERM: stop reading, drain the sinks within this, write the checkpoint, exit 0. Keep it below terminationGracePeriodSeconds.',
    ),
    maxBodyLength: z
      .number()
      .int()
      .min(64)
      .default(32_768)
      .describe('Longest event message kept (UTF-16 units); longer ones are cut and marked eventrouter.body.truncated.'),
  })
  .strict();

export type Config = Omit<z.output<typeof configSchema>, 'sinks'> & { sinks?: SinkConfig[] | undefined };
export type ConfigInput = z.input<typeof configSchema>;
export type { SinkConfig } from '../sinks/sink-kinds.ts';
export type { OtlpSinkConfig } from '../sinks/otlp/config.ts';
export type { StdoutSinkConfig } from '../sinks/stdout/config.ts';
export type { RuleConfig };
