import { CircuitBreaker } from '../enrich/circuit-breaker.ts';
import type { Enricher } from '../enrich/enricher.ts';
import { applyServiceAttributes, type WorkloadMetadata } from '../enrich/service-attributes.ts';
import type { EventRecord } from '../model/event-record.ts';
import { isAttributable } from '../model/identity.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { Stage } from './stage.ts';

/** Event namespaces whose first identity mismatch is logged; beyond this many, mismatches are only counted. */
const MISMATCH_WARNINGS = 100;

export interface EnrichStageOptions {
  /** Owner lookups; undefined when `enrich.owners` is off. */
  enricher: Enricher | undefined;
  /** `enrich.serviceName`: derive `service.*` from the workload (with or without owners). */
  serviceName: boolean;
  /** How long one record's lookup may take before it counts as a failure for the breaker. */
  deadlineMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Failures in a row that open the circuit; default 5. */
  breakerThreshold?: number;
  /** How long an open circuit skips lookups; default 30 s. */
  breakerCooldownMs?: number;
}

/** The circuit breaker's settings when not given (not config keys). */
const BREAKER_DEFAULTS = { threshold: 5, cooldownMs: 30_000 };

/**
 * enrich: the owner chain of the involved object, then `service.*` from what it found (one
 * stage, so no other stage finishes its work). Best effort: a failed or slow lookup sends the
 * record on with what the event itself says. When lookups keep failing or timing out, a circuit
 * breaker stops asking the API server for a while, so a sick API costs nothing per record.
 */
export class EnrichStage implements Stage {
  readonly name = 'enrich';
  readonly #o: EnrichStageOptions;
  readonly #breaker: CircuitBreaker;
  readonly #cooldownMs: number;
  readonly #log: Logger;
  readonly #mismatchWarned = new Set<string>();

  constructor(options: EnrichStageOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'enrich' });
    this.#cooldownMs = options.breakerCooldownMs ?? BREAKER_DEFAULTS.cooldownMs;
    this.#breaker = new CircuitBreaker({ threshold: options.breakerThreshold ?? BREAKER_DEFAULTS.threshold, cooldownMs: this.#cooldownMs });
  }

  /** The enriched record, at once when nothing has to be looked up, else once its lookup is done. */
  process(record: EventRecord): EventRecord | Promise<EventRecord> {
    return this.runNow(record) ?? this.lookUp(record);
  }

  /**
   * The stage without waiting when it can: the record, enriched, when nothing has to be looked
   * up (no enricher, a record not attributable, an open circuit, a chain already cached);
   * undefined when an owner lookup must run — then {@link lookUp} finishes the record.
   */
  runNow(record: EventRecord): EventRecord | undefined {
    // An event naming an object outside its own namespace is the creator's word only: no lookup
    // runs on it with the router's permissions, and no service.* comes from the named object.
    if (!isAttributable(record.event)) {
      this.#mismatch(record);
      return record;
    }
    const enricher = this.#o.enricher;
    let metadata: WorkloadMetadata | undefined;
    if (enricher !== undefined) {
      if (!this.#breaker.allows()) {
        this.#o.metrics.enrichLookups.inc({ outcome: 'skipped' });
      } else {
        const known = enricher.enrichCached?.(record);
        // The breaker let this lookup through: lookUp() makes it without asking again.
        if (known === undefined) return undefined;
        this.#breaker.success();
        metadata = known.metadata;
      }
    }
    if (this.#o.serviceName) applyServiceAttributes(record.resource, metadata);
    return record;
  }

  /** The rest of the stage for a record {@link runNow} left undone: its owner lookup, then `service.*`. */
  async lookUp(record: EventRecord): Promise<EventRecord> {
    const metadata = await this.#lookup(record);
    if (this.#o.serviceName) applyServiceAttributes(record.resource, metadata);
    return record;
  }

  /** One owner lookup the breaker already allowed. */
  async #lookup(record: EventRecord): Promise<WorkloadMetadata | undefined> {
    const enricher = this.#o.enricher;
    if (enricher === undefined) return undefined;
    const started = performance.now();
    try {
      const metadata = await enricher.enrich(record);
      if (performance.now() - started >= this.#o.deadlineMs) this.#failed('lookup reached its deadline');
      else this.#breaker.success();
      return metadata;
    } catch (error) {
      this.#o.metrics.enrichLookups.inc({ outcome: 'error' });
      this.#failed((error as Error).message);
      return undefined;
    }
  }

  #mismatch(record: EventRecord): void {
    this.#o.metrics.identityMismatches.inc({});
    const { event } = record;
    // Once per event namespace (bounded): a flood of forged events must not flood the log.
    if (this.#mismatchWarned.size < MISMATCH_WARNINGS && !this.#mismatchWarned.has(event.namespace)) {
      this.#mismatchWarned.add(event.namespace);
      const claimed = event.regarding;
      this.#log.warn(
        { namespace: event.namespace, name: event.name, uid: event.uid, claimed: { kind: claimed.kind, namespace: claimed.namespace ?? '', name: claimed.name } },
        'event names an object outside its own namespace; exported under its own namespace, not attributed to that object (further ones from this namespace are only counted)',
      );
    }
  }

  #failed(reason: string): void {
    if (this.#breaker.failure()) {
      this.#log.warn({ reason, cooldownMs: this.#cooldownMs }, 'owner lookups keep failing; exporting without owner attributes for a while');
    }
  }
}
