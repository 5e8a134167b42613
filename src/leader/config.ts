import { z } from 'zod';
import { duration, positiveDuration } from '../config-kit/schema-kit.ts';

/** `leaderElection`: the Lease the replicas campaign for (lease-elector.ts). */
export const leaderElectionConfigSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Campaign for a coordination.k8s.io/v1 Lease before reading.'),
    leaseName: z.string().default('eventrouter').describe('Name of the Lease.'),
    leaseNamespace: z.string().default('').describe('Namespace of the Lease; default the pod namespace (POD_NAMESPACE).'),
    identity: z
      .string()
      .default('')
      .describe(
        "Prefix of this replica's Lease identity; default POD_NAME, else the host name. A random suffix is added at every process start, so replicas that share this setting never share an identity.",
      ),
    leaseDuration: duration('15s').describe(
      "How long a lease is valid without renewal, by each candidate's own clock from when it last saw the Lease change.",
    ),
    renewDeadline: duration('10s').describe('A leader that could not renew for this long stops exporting (must be below leaseDuration).'),
    retryPeriod: positiveDuration('2s', 'acquire and renew attempts would follow each other without pause').describe('Interval between acquire/renew attempts.'),
  })
  .strict()
  .prefault({})
  .describe('Run several replicas; only the Lease holder reads and exports.');

export type LeaderElectionConfig = z.output<typeof leaderElectionConfigSchema>;
