import { z } from 'zod';
import { durationText, positiveDuration, toMs } from '../config-kit/schema-kit.ts';
import { formatDuration } from '../util/duration.ts';
import { SAVE_TIMEOUT_MS } from './checkpoint-committer.ts';

/** `checkpoint`: where the durable cursor is kept (create-checkpoint-store.ts) and how often it is written (checkpoint-committer.ts). */
export const checkpointConfigSchema = z
  .object({
    store: z
      .enum(['file', 'configmap', 'none'])
      .default('file')
      .describe('file (local, atomic replace), configmap (shared by replicas; needed with leader election), or none.'),
    path: z.string().default('/var/lib/eventrouter/checkpoint.json').describe('File of the file store (mount a volume there).'),
    configMapName: z.string().default('eventrouter-checkpoint').describe('ConfigMap of the configmap store.'),
    namespace: z.string().default('').describe('Namespace of the ConfigMap; default the pod namespace (POD_NAMESPACE).'),
    interval: durationText()
      .transform(toMs)
      .optional()
      .describe(
        'Least time between checkpoint writes; default: after every acknowledged batch (file), 1s (configmap: one small API write a second at most).',
      ),
    timeout: positiveDuration(formatDuration(SAVE_TIMEOUT_MS), 'every save would time out').describe(
      'Deadline of one checkpoint save: one that has not returned by then (a hung filesystem or API call) is logged, counted as eventrouter_checkpoint_writes_total{outcome="timeout"} and makes /readyz not ready; exports go on, and no other save starts until it returns.',
    ),
  })
  .strict()
  .prefault({})
  // The default depends on the store: every move for a file (cheap), at most once a second
  // for a ConfigMap (each write is an API request).
  .transform((checkpoint) => ({ ...checkpoint, interval: checkpoint.interval ?? (checkpoint.store === 'configmap' ? 1000 : 0) }))
  .describe('The durable cursor: the last resourceVersion every sink acknowledged.');

export type CheckpointConfig = z.output<typeof checkpointConfigSchema>;
