import { ApiError, type KubeClient } from '../kube/kube-client.ts';
import type { Logger } from '../telemetry/logger.ts';
import { sleep } from '../source/backoff.ts';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export interface LeaseElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** A leader that cannot renew within this stops leading (default 10 s); must be below leaseDuration. */
  renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts (default 2 s). */
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => Promise<void> | void;
  /** Must stop all exporting; it runs before the lease can expire for others. */
  onStoppedLeading: () => Promise<void> | void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics: acquire
 * when the lease is free or expired, renew every retry period, give leadership up when a
 * renewal has not succeeded for the renew deadline (before the lease can expire and a standby
 * take over), and release the lease on shutdown so the standby does not wait for expiry.
 * Updates carry the Lease's resourceVersion, so two candidates cannot both win.
 */
export class LeaseElector {
  readonly #o: LeaseElectorOptions;
  readonly #log: Logger;
  #leading = false;
  #lastRenew = 0;
  #observedHolder: string | undefined;

  constructor(options: LeaseElectorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** The identity that holds the lease, as last observed. */
  get holder(): string | undefined {
    return this.#observedHolder;
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  get #durationMs(): number {
    return this.#o.leaseDurationMs ?? 15_000;
  }

  /** One acquire-or-renew attempt; true when this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(now = Date.now()): Promise<boolean> {
    const spec = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#durationMs / 1000),
      renewTime: microTime(now),
    };
    let current: Lease;
    try {
      current = await this.#o.client.json<Lease>(this.#path(this.#o.name), { timeoutMs: this.#o.retryPeriodMs ?? 2000 });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      await this.#o.client.json<Lease>(this.#path(), {
        method: 'POST',
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
      });

      this.#observedHolder = this.#o.identity;
      return true;
    }
    const holder = current.spec.holderIdentity ?? '';
    this.#observedHolder = holder || undefined;
    const renewed = Date.parse(current.spec.renewTime ?? '') || 0;
    const expired = renewed + (current.spec.leaseDurationSeconds ?? 0) * 1000 < now;
    if (holder !== '' && holder !== this.#o.identity && !expired) return false;
    const takingOver = holder !== this.#o.identity;
    const next: Lease = {
      ...current,
      spec: {
        ...current.spec,
        ...spec,
        acquireTime: takingOver ? microTime(now) : (current.spec.acquireTime ?? microTime(now)),
        leaseTransitions: (current.spec.leaseTransitions ?? 0) + (takingOver && holder !== '' ? 1 : 0),
      },
    };
    await this.#o.client.json<Lease>(this.#path(this.#o.name), { method: 'PUT', body: next, timeoutMs: this.#o.retryPeriodMs ?? 2000 });
    this.#observedHolder = this.#o.identity;
    return true;
  }

  /** Campaigns and leads until `signal` aborts; then releases the lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    const retry = this.#o.retryPeriodMs ?? 2000;
    const renewDeadline = this.#o.renewDeadlineMs ?? 10_000;
    while (!signal.aborted) {
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (error) {
        const conflict = error instanceof ApiError && error.status === 409;
        if (!conflict) this.#log.warn({ err: (error as Error).message }, 'lease acquire/renew failed');
      }
      const now = Date.now();
      if (held) {
        this.#lastRenew = now;
        if (!this.#leading) {
          this.#leading = true;
          this.#log.info('became leader');
          await this.#o.onStartedLeading();
        }
      } else if (this.#leading && now - this.#lastRenew >= renewDeadline) {
        this.#leading = false;
        this.#log.warn({ sinceRenewMs: now - this.#lastRenew }, 'could not renew the lease within the renew deadline; stopping');
        await this.#o.onStoppedLeading();
      } else if (!this.#leading && !held) {
        this.#log.debug({ holder: this.#observedHolder }, 'standing by');
      }
      await sleep(retry, signal);
    }
    if (this.#leading) {
      this.#leading = false;
      await this.#o.onStoppedLeading();
      await this.release();
    }
  }

  /** Gives the lease up (holder cleared, 1 s duration) so a standby takes over at once. */
  async release(): Promise<void> {
    try {
      const current = await this.#o.client.json<Lease>(this.#path(this.#o.name));
      if (current.spec.holderIdentity !== this.#o.identity) return;
      await this.#o.client.json<Lease>(this.#path(this.#o.name), {
        method: 'PUT',
        body: { ...current, spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(Date.now()) } },
      });
      this.#log.info('released the lease');
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, 'could not release the lease; the standby takes over when it expires');
    }
  }
}
