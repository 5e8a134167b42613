import { LoopComponent } from '../component/component.ts';
import type { LeaderElectionConfig } from './config.ts';
import { ApiError, type KubeClient } from '../kube/kube-client.ts';
import { podNamespace } from '../kube/pod-namespace.ts';
import { electionIdentity } from './identity.ts';
import type { Logger } from '../telemetry/logger.ts';
import { sleep } from '../util/sleep.ts';

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

/** The largest `leaseDurationSeconds` the API accepts (an int32), as client-go decodes it. */
const MAX_LEASE_SECONDS = 2 ** 31 - 1;

/**
 * The Lease as the API server answered it, with every spec field checked: a Lease anyone with
 * write access left with `spec: null`, a string duration or a numeric holder would otherwise
 * throw on every attempt (no replica ever leads) or, with a NaN duration, never expire. Like
 * client-go, an absent or unusable field reads as its zero value: no holder, a duration of 0
 * (expired), so a candidate takes the Lease and writes it back well-formed.
 */
function wellFormed(answer: unknown): Lease {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new Error(`the API server answered the Lease request with ${answer === null ? 'null' : typeof answer}, not an object`);
  const lease = answer as Record<string, unknown>;
  const raw = typeof lease['spec'] === 'object' && lease['spec'] !== null && !Array.isArray(lease['spec']) ? (lease['spec'] as Record<string, unknown>) : {};
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const seconds = raw['leaseDurationSeconds'];
  const transitions = raw['leaseTransitions'];
  const spec: Lease['spec'] = {
    holderIdentity: text(raw['holderIdentity']) ?? '',
    leaseDurationSeconds: Number.isInteger(seconds) && (seconds as number) > 0 && (seconds as number) <= MAX_LEASE_SECONDS ? (seconds as number) : 0,
    leaseTransitions: Number.isInteger(transitions) && (transitions as number) >= 0 && (transitions as number) <= MAX_LEASE_SECONDS ? (transitions as number) : 0,
  };
  const acquireTime = text(raw['acquireTime']);
  const renewTime = text(raw['renewTime']);
  if (acquireTime !== undefined) spec.acquireTime = acquireTime;
  if (renewTime !== undefined) spec.renewTime = renewTime;
  return { ...(lease as unknown as Lease), spec };
}

/** What the acquire/renew loop is doing now (its heartbeat's step). */
export type ElectorLoopState = 'starting' | 'acquiring' | 'renewing' | 'sleeping' | 'stopping' | 'stopped' | 'failed';

/** Why a term ended, and how long this process may still finish what it was doing. */
export interface StoppedLeading {
  /**
   * `lost`: another candidate holds the lease now; `renew-deadline`: no renewal succeeded
   * within the renew deadline; `shutdown`: `shutdown()` was called (the lease is released next).
   */
  reason: 'lost' | 'renew-deadline' | 'shutdown';
  /** Milliseconds, by this process's clock, before a standby may take the lease: export nothing after. */
  graceMs: number;
}

export interface LeaseElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** Must be unique per process (see `electionIdentity`): a holder renews any lease naming it. */
  identity: string;
  /** How long a lease is valid without renewal (`leaderElection.leaseDuration`). */
  leaseDurationMs: number;
  /** A leader that cannot renew within this stops leading; below leaseDuration (`leaderElection.renewDeadline`). */
  renewDeadlineMs: number;
  /** Interval between acquire/renew attempts (`leaderElection.retryPeriod`). */
  retryPeriodMs: number;
  /** The local clock (tests move it); expiry is judged by it alone, never by the holder's timestamps. */
  now?: () => number;
  logger: Logger;
  /** Called without blocking the renew loop, which goes on renewing while it runs. */
  onStartedLeading: () => Promise<void> | void;
  /** Must stop all exporting within `graceMs`; called without blocking the renew loop. */
  onStoppedLeading: (stopped: StoppedLeading) => Promise<void> | void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** What identifies one version of the lease record: any change means its holder is alive. */
function fingerprint(spec: Lease['spec']): string {
  return JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds, spec.acquireTime, spec.renewTime, spec.leaseTransitions]);
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics: acquire
 * when the lease is free or expired, renew every retry period, give leadership up when a
 * renewal has not succeeded for the renew deadline (before the lease can expire and a standby
 * take over), and release the lease on `shutdown()` so the standby does not wait for expiry.
 * Updates carry the Lease's resourceVersion, so two candidates cannot both win.
 *
 * Expiry is judged by the local clock only: the lease counts as expired when the record has not
 * changed for its leaseDuration since this process last saw it change. The timestamps in the
 * record come from the holder's clock, and clocks of two nodes can be far apart.
 */
export class LeaseElector extends LoopComponent {
  readonly #o: LeaseElectorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #leading = false;
  /** Local time at which the last successful renewal was sent. */
  #renewedAt = 0;
  #observedHolder: string | undefined;
  #observedFingerprint: string | undefined;
  /** Local time at which the observed record last changed (client-go's observedTime). */
  #observedAt = 0;
  #observedDurationMs = 0;
  /** Leadership callbacks, in order, off the renew loop. */
  #callbacks: Promise<void> = Promise.resolve();
  /** Local time when campaigning began (undefined before). */
  #campaignSince: number | undefined;
  /** Local time until which a leader (this one or another) is known to hold a valid lease. */
  #leaderUntil = 0;
  /** The last error of an acquire/renew attempt, while attempts fail. */
  #lastError: string | undefined;
  #reportedLeaderless = false;
  #state: ElectorLoopState = 'starting';
  /** By when the loop must have moved on from its current step (its heartbeat), local epoch ms. */
  #dueBy = Number.POSITIVE_INFINITY;

  constructor(options: LeaseElectorOptions) {
    super();
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.logger.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  protected loopFailed(error: Error): void {
    // A loop that ended by itself neither renews nor takes over: a hang that a restart fixes.
    this.#state = 'failed';
    this.#dueBy = Date.now();
    this.#log.error({ err: error.message }, 'leader election stopped');
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  get identity(): string {
    return this.#o.identity;
  }

  /** The identity that holds the lease, as last observed. */
  get holder(): string | undefined {
    return this.#observedHolder;
  }

  /**
   * How long no valid leader has been known to this replica, by its clock: neither it nor
   * another candidate held an unexpired lease (0 while one does). A normal failover keeps this
   * near one retry period; a Lease that every replica is forbidden to read or write grows it
   * without bound.
   */
  leaderlessMs(now = this.#now()): number {
    if (this.#campaignSince === undefined) return 0;
    return Math.max(0, now - Math.max(this.#leaderUntil, this.#campaignSince));
  }

  /**
   * The loop's heartbeat: it enters `state`, which by its own bound (an attempt's request
   * timeout, a retry period's sleep) ends within `withinMs`; one more retry period is slack
   * for a busy event loop. Wall clock (not the injectable `now`): a hang is real time.
   */
  #beat(state: ElectorLoopState, withinMs: number): void {
    this.#state = state;
    this.#dueBy = Date.now() + Math.max(0, withinMs) + this.#o.retryPeriodMs;
  }

  /**
   * How long the acquire/renew loop has been stuck past the bound of its step (0 while it moves):
   * an await that never resolves would leave a leader exporting after its lease expired
   * elsewhere, or a standby that never takes over. Never before it starts or while it stops
   * (shutdown has its own deadline).
   */
  get stalledMs(): number {
    if (this.#state === 'starting' || this.#state === 'stopping' || this.#state === 'stopped') return 0;
    return Math.max(0, Date.now() - this.#dueBy);
  }

  /** What the acquire/renew loop is doing now. */
  get loopState(): ElectorLoopState {
    return this.#state;
  }

  /** The last acquire/renew error, while attempts fail. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  get #durationMs(): number {
    return this.#o.leaseDurationMs;
  }

  get #renewDeadlineMs(): number {
    return this.#o.renewDeadlineMs;
  }

  #observe(lease: Lease, now: number): void {
    const seen = fingerprint(lease.spec);
    if (seen !== this.#observedFingerprint) {
      this.#observedFingerprint = seen;
      this.#observedAt = now;
    }
    this.#observedHolder = lease.spec.holderIdentity || undefined;
    this.#observedDurationMs = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
  }

  #expired(now: number): boolean {
    // As client-go: valid while observedAt + duration is after now, so a 0 duration is expired at once.
    return now >= this.#observedAt + this.#observedDurationMs;
  }

  /**
   * One acquire-or-renew attempt; true when this candidate holds the lease afterwards.
   * `timeoutMs` bounds the whole attempt (a leader must know before its renew deadline).
   */
  async tryAcquireOrRenew(now = this.#now(), timeoutMs = this.#renewDeadlineMs): Promise<boolean> {
    const request = { signal: AbortSignal.timeout(Math.max(1, timeoutMs)), timeoutMs: 0 };
    const spec = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#durationMs / 1000),
      renewTime: microTime(now),
    };
    let current: Lease;
    try {
      current = wellFormed(await this.#o.client.json<unknown>(this.#path(this.#o.name), request));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      const created = await this.#o.client.json<Lease>(this.#path(), {
        ...request,
        method: 'POST',
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
      });
      this.#observe(wellFormed(created), now);
      return true;
    }
    this.#observe(current, now);
    const holder = current.spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.#o.identity && !this.#expired(now)) return false;
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
    const written = await this.#o.client.json<Lease>(this.#path(this.#o.name), { ...request, method: 'PUT', body: next });
    this.#observe(wellFormed(written), now);
    return true;
  }

  #callback(step: () => Promise<void> | void): void {
    this.#callbacks = this.#callbacks
      .then(step)
      .catch((error: Error) => this.#log.error({ err: error.message }, 'leadership callback failed'));
  }

  #stopLeading(stopped: StoppedLeading): void {
    this.#leading = false;
    this.#callback(() => this.#o.onStoppedLeading(stopped));
  }

  /**
   * Campaigns and leads until shutdown; then releases the lease if held, after the leadership
   * callbacks finished. Whoever shuts it down should first finish the leader's work (drain,
   * checkpoint): renewal goes on until then.
   */
  protected async loop(signal: AbortSignal): Promise<void> {
    const retry = this.#o.retryPeriodMs;
    const renewDeadline = this.#renewDeadlineMs;
    this.#campaignSince ??= this.#now();
    while (!signal.aborted) {
      const attemptAt = this.#now();
      // A leader's attempt may not outlast its renew deadline; a standby's has the same bound.
      const budget = this.#leading ? this.#renewedAt + renewDeadline - attemptAt : renewDeadline;
      let held = false;
      // Every request of the attempt carries `budget` as its deadline, so the step ends within it.
      this.#beat(this.#leading ? 'renewing' : 'acquiring', budget);
      if (budget > 0) {
        try {
          held = await this.tryAcquireOrRenew(attemptAt, budget);
          this.#lastError = undefined;
        } catch (error) {
          const conflict = error instanceof ApiError && error.status === 409;
          if (!conflict) {
            this.#lastError = (error as Error).message;
            this.#log.warn({ err: this.#lastError }, 'lease acquire/renew failed');
          }
        }
      }
      const now = this.#now();
      this.#noteLeader(held, attemptAt, now);
      if (held) {
        this.#renewedAt = attemptAt;
        if (!this.#leading) {
          this.#leading = true;
          this.#log.info('became leader');
          this.#callback(() => this.#o.onStartedLeading());
        }
      } else if (this.#leading && this.#observedHolder !== undefined && this.#observedHolder !== this.#o.identity) {
        // Someone else renews the lease: it already considers ours expired. Stop at once.
        this.#log.warn({ holder: this.#observedHolder }, 'the lease is held by another candidate; stopping');
        this.#stopLeading({ reason: 'lost', graceMs: 0 });
      } else if (this.#leading && now - this.#renewedAt >= renewDeadline) {
        this.#log.warn({ sinceRenewMs: now - this.#renewedAt }, 'could not renew the lease within the renew deadline; stopping');
        this.#stopLeading({ reason: 'renew-deadline', graceMs: this.#graceMs(now) });
      } else if (!this.#leading) {
        this.#log.debug({ holder: this.#observedHolder }, 'standing by');
      }
      this.#beat('sleeping', retry);
      await sleep(retry, signal);
    }
    this.#state = 'stopping';
    if (this.#leading) {
      this.#stopLeading({ reason: 'shutdown', graceMs: this.#graceMs(this.#now()) });
      await this.#callbacks;
      await this.release();
    }
    await this.#callbacks;
    this.#state = 'stopped';
  }

  /** Keeps {@link leaderlessMs} current and says once, loudly, when no replica leads for longer than a lease. */
  #noteLeader(held: boolean, attemptAt: number, now: number): void {
    if (held) this.#leaderUntil = attemptAt + this.#durationMs;
    else if (this.#observedHolder !== undefined && !this.#expired(now)) this.#leaderUntil = this.#observedAt + this.#observedDurationMs;
    const leaderless = this.leaderlessMs(now);
    if (leaderless > this.#durationMs && !this.#reportedLeaderless) {
      this.#reportedLeaderless = true;
      this.#log.error(
        { leaderlessMs: leaderless, lastError: this.#lastError ?? null, holder: this.#observedHolder ?? null },
        'no replica has held the lease for longer than leaderElection.leaseDuration: nothing is being exported (is the Lease forbidden by RBAC, or the API server unreachable?)',
      );
    } else if (leaderless === 0 && this.#reportedLeaderless) {
      this.#reportedLeaderless = false;
      this.#log.info({ holder: held ? this.#o.identity : (this.#observedHolder ?? null) }, 'a replica holds the lease again');
    }
  }

  /** Time left before a standby, which counts from when it saw our last renewal, may take over. */
  #graceMs(now: number): number {
    return Math.max(0, this.#renewedAt + this.#durationMs - now);
  }

  /**
   * Gives the lease up as client-go's ReleaseOnCancel does (holder cleared, 1 s duration) so a
   * standby takes over at once. Retried on a conflict with a renewal still in flight.
   */
  async release(): Promise<void> {
    const deadline = AbortSignal.timeout(this.#renewDeadlineMs);
    for (let attempt = 1; ; attempt++) {
      try {
        const current = wellFormed(await this.#o.client.json<unknown>(this.#path(this.#o.name), { signal: deadline, timeoutMs: 0 }));
        if (current.spec.holderIdentity !== this.#o.identity) return;
        const now = microTime(this.#now());
        const released = await this.#o.client.json<Lease>(this.#path(this.#o.name), {
          method: 'PUT',
          signal: deadline,
          timeoutMs: 0,
          body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now } },
        });
        this.#observe(wellFormed(released), this.#now());
        this.#log.info('released the lease');
        return;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409 && attempt < 5 && !deadline.aborted) continue;
        this.#log.warn({ err: (error as Error).message }, 'could not release the lease; the standby takes over when it expires');
        return;
      }
    }
  }
}

export interface LeaseElectorDeps {
  client: KubeClient;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  onStartedLeading: LeaseElectorOptions['onStartedLeading'];
  onStoppedLeading: LeaseElectorOptions['onStoppedLeading'];
}

/** The elector that `leaderElection.*` configures; undefined when leader election is off (this replica always leads). */
export function createLeaseElector(config: LeaderElectionConfig, deps: LeaseElectorDeps): LeaseElector | undefined {
  if (!config.enabled) return undefined;
  return new LeaseElector({
    client: deps.client,
    namespace: config.leaseNamespace || podNamespace(deps.env),
    name: config.leaseName,
    identity: electionIdentity(config.identity, deps.env),
    leaseDurationMs: config.leaseDuration,
    renewDeadlineMs: config.renewDeadline,
    retryPeriodMs: config.retryPeriod,
    logger: deps.logger,
    onStartedLeading: deps.onStartedLeading,
    onStoppedLeading: deps.onStoppedLeading,
  });
}
