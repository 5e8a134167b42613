import { readClusterUid } from '../enrich/cluster-uid.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { Backoff, SOURCE_BACKOFF_DEFAULTS } from '../source/backoff.ts';
import { sleep } from '../util/sleep.ts';
import type { EventApi } from '../source/config.ts';
import { currentResourceVersion } from '../source/current-resource-version.ts';
import { compareResourceVersions } from '../source/resource-version.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { untilAborted } from '../util/until-aborted.ts';
import { CheckpointFormatError } from './checkpoint-format-error.ts';
import type { Checkpoint, CheckpointStatus, CheckpointStore } from './checkpoint-store.ts';

export interface ResumePointOptions {
  store: CheckpointStore;
  client: KubeClient;
  api: EventApi;
  /** The watched scopes ("" = all namespaces). The first is where the current resourceVersion is read. */
  namespaces: readonly string[];
  /** `k8s.cluster.uid` of the cluster the router talks to, when it could be read at start-up (else it is read again when a checkpoint needs it). */
  clusterUid: string | undefined;
  /** Retry delays while the checkpoint cannot be read (jittered, doubling up to the maximum). Default: the source's. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  metrics: Metrics;
  logger: Logger;
}

/** Where to resume: a checkpoint that passed every check, or none (a first start under `source.backfill`). */
export interface ResumePoint {
  checkpoint: Checkpoint | undefined;
  /** Why a stored checkpoint was thrown away, when one was. */
  discarded?: 'other-api' | 'other-cluster' | 'ahead-of-cluster';
  /** The cluster's uid, when it had to be read here (start-up could not): for the checkpoints written from now on. */
  clusterUid?: string;
}

/**
 * Decides where the router resumes. Only "not found" means there is no checkpoint: any other
 * failure to read it (an API error, an unreadable file, garbage in it) is retried with jittered
 * backoff while the router stays not ready, because taking it for "none" would re-send everything
 * the API server holds and then overwrite the real cursor. A checkpoint that was read is checked
 * against the cluster before it is trusted: one written for another cluster (its `clusterUid`), or
 * one ahead of the cluster's current resourceVersion (etcd restored from a backup, a checkpoint
 * carried into a rebuilt cluster), is discarded loudly, since a watch from a revision the cluster
 * has not reached waits in silence and would lose every event.
 */
export class ResumePointLoader {
  readonly #o: ResumePointOptions;
  readonly #log: Logger;
  #status: CheckpointStatus | undefined = { ok: true, phase: 'loading' };
  #clusterUid: string | undefined;

  constructor(options: ResumePointOptions) {
    this.#o = options;
    this.#clusterUid = options.clusterUid;
    this.#log = options.logger.child({ component: 'checkpoint' });
  }

  /** While loading: how it goes (for `/readyz`); undefined once a resume point was decided. */
  get status(): CheckpointStatus | undefined {
    return this.#status;
  }

  /** Resolves with the resume point, or undefined when `signal` aborted first. Never throws. */
  async load(signal: AbortSignal): Promise<ResumePoint | undefined> {
    const backoff = new Backoff(this.#o.minBackoffMs ?? SOURCE_BACKOFF_DEFAULTS.minBackoff, this.#o.maxBackoffMs ?? SOURCE_BACKOFF_DEFAULTS.maxBackoff);
    let failures = 0;
    let since = '';
    while (!signal.aborted) {
      try {
        // A store that hangs must not hold up a shutdown: the attempt is abandoned on abort.
        const point = await untilAborted(this.#attempt(signal), signal);
        if (point === undefined) break;
        if (failures > 0) this.#log.info({ failures }, 'the checkpoint could be read again');
        this.#status = undefined;
        this.#o.metrics.checkpointHealthy.set(1);
        return point;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        since ||= new Date().toISOString();
        const message = (error as Error).message;
        this.#status = { ok: false, phase: 'loading', error: message, failingSince: since, failures };
        this.#o.metrics.checkpointHealthy.set(0);
        const delay = backoff.next();
        this.#log.error(
          { store: this.#o.store.kind, err: message, failures, retryInMs: Math.round(delay) },
          error instanceof CheckpointFormatError
            ? 'the stored checkpoint is unreadable; not starting fresh over it (that would re-send every stored event and overwrite it): retrying, not ready'
            : 'cannot read the checkpoint; retrying, not ready (only "not found" means there is none)',
        );
        await sleep(delay, signal);
      }
    }
    return undefined;
  }

  async #attempt(signal: AbortSignal): Promise<ResumePoint> {
    const { api, namespaces } = this.#o;
    const stored = await this.#o.store.load();
    if (stored === undefined) return { checkpoint: undefined };
    if (stored.api !== api) {
      return this.#discard('other-api', stored, { configuredApi: api }, 'the checkpoint was written for another API; discarding it');
    }
    if (stored.clusterUid !== undefined && this.#clusterUid === undefined) {
      // The checkpoint names its cluster, and this one's uid is unknown: trusting it unchecked
      // could resume another cluster's cursor (fail open). Read it, and until that works, stay
      // not ready and retry like any other error reading the checkpoint.
      try {
        this.#clusterUid = await readClusterUid(this.#o.client);
      } catch (error) {
        throw new Error(
          `the checkpoint belongs to cluster ${stored.clusterUid}, and this cluster's uid cannot be read to check it (GET /api/v1/namespaces/kube-system: ${(error as Error).message}); grant get on namespaces, or remove the checkpoint to start over`,
          { cause: error },
        );
      }
    }
    const clusterUid = this.#clusterUid;
    if (clusterUid !== undefined && stored.clusterUid !== undefined && stored.clusterUid !== clusterUid) {
      return this.#discard(
        'other-cluster',
        stored,
        { clusterUid },
        'the checkpoint belongs to another cluster (its clusterUid is not this kube-system Namespace uid); discarding it and re-listing under source.backfill',
      );
    }
    const current = await currentResourceVersion(this.#o.client, api, namespaces[0] ?? '', signal);
    const ahead: Record<string, string> = {};
    for (const namespace of namespaces) {
      for (const rv of [stored.scopes[namespace], stored.listing?.[namespace]?.resourceVersion]) {
        // Compared only when both are integers (etcd revisions); an opaque one cannot be judged.
        if (rv !== undefined && (compareResourceVersions(rv, current) ?? 0) > 0) ahead[namespace || '*'] = rv;
      }
    }
    if (Object.keys(ahead).length > 0) {
      return this.#discard(
        'ahead-of-cluster',
        stored,
        { currentResourceVersion: current, ahead },
        'the checkpoint is ahead of the cluster\'s current resourceVersion (etcd restored from a backup, or a checkpoint from a rebuilt cluster); a watch from it would wait silently and lose every event: discarding it and re-listing under source.backfill',
      );
    }
    return { checkpoint: stored, ...this.#readHere() };
  }

  /** The cluster uid, when this loader read it (start-up could not). */
  #readHere(): { clusterUid?: string } {
    return this.#o.clusterUid === undefined && this.#clusterUid !== undefined ? { clusterUid: this.#clusterUid } : {};
  }

  #discard(reason: NonNullable<ResumePoint['discarded']>, stored: Checkpoint, detail: Record<string, unknown>, message: string): ResumePoint {
    this.#o.metrics.checkpointDiscarded.inc({ reason });
    this.#log.error(
      { reason, store: this.#o.store.kind, checkpoint: { api: stored.api, clusterUid: stored.clusterUid, scopes: stored.scopes, updatedAt: stored.updatedAt }, ...detail },
      message,
    );
    return { checkpoint: undefined, discarded: reason, ...this.#readHere() };
  }
}
