import { KubeClient } from '../../src/kube/kube-client.ts';
import { LeaseElector, type LeaseElectorOptions } from '../../src/leader/lease-elector.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';

/** A candidate for Lease `ns/l` on the API server at `url`, with client-go's default timings unless `options` say otherwise. */
export function testElector(url: string, identity: string, options: Partial<LeaseElectorOptions> = {}): LeaseElector {
  return new LeaseElector({
    client: KubeClient.fromServer(url),
    namespace: 'ns',
    name: 'l',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2000,
    logger: silentLogger(),
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
    ...options,
  });
}
