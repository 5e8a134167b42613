import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The identity this process campaigns with: the configured `leaderElection.identity`, else
 * POD_NAME, else the host name, plus a suffix drawn at every process start (client-go users
 * write `hostname + "_" + uuid` for the same reason). A Lease holder renews whatever lease
 * names its identity, so two replicas that shared one (an identity set in a config shared by
 * every pod, or two processes on one host) would both lead and both export everything. The
 * suffix also keeps a restarted process from resuming a term its predecessor left half done.
 */
export function electionIdentity(configured: string, env: NodeJS.ProcessEnv, host: string = hostname(), suffix: string = randomUUID()): string {
  const base = configured || env['POD_NAME'] || host || 'eventrouter';
  return `${base}_${suffix}`;
}
