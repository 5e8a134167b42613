import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';

/**
 * The attributes of the series that holds what came beyond an instrument's limit: the ones the
 * OpenTelemetry SDK gives its own overflow series (`otel_metric_overflow="true"` on /metrics).
 */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/** The OpenTelemetry SDK's default cardinality limit per instrument, overflow series included. */
export const DEFAULT_CARDINALITY_LIMIT = 2_000;

/** Options of {@link Counter}: the Prometheus name (ending in `_total`), its help text and its labels, in output order. */
export interface CounterOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /**
   * Series kept, the overflow series included, as the SDK's `aggregationCardinalityLimit`
   * counts them: once `cardinalityLimit - 1` label sets exist, counts for a new label set go
   * to the overflow series. Default {@link DEFAULT_CARDINALITY_LIMIT}.
   */
  cardinalityLimit?: number;
  /** Told each count that went to the overflow series (the overflow counter). */
  onOverflow?: (n: number) => void;
}

interface Series {
  readonly attributes: Attributes;
  value: number;
}

/**
 * A monotonic count per label set, kept in plain numbers and published through an observable
 * counter that the SDK reads at collection (a scrape, an OTLP push). Some counts are taken per
 * record (routed events, notifications, filtered records): a synchronous SDK counter would hash
 * the attributes, read the clock and the context on every add, where this pays one map lookup.
 *
 * The series are bounded here, where the values are kept, by the SDK's rule: past the limit a
 * new label set counts in one overflow series. The SDK's own limit (a View) cannot do it for an
 * observable counter: it would still be handed every series at each collection, and it folds the
 * cumulative values of different label sets into one, which is not a count of anything.
 */
export class Counter<L extends string> {
  readonly name: string;
  readonly #labelNames: readonly L[];
  readonly #series = new Map<string, Series>();
  readonly #limit: number;
  readonly #onOverflow: ((n: number) => void) | undefined;
  #overflow: Series | undefined;

  constructor(meter: Meter, options: CounterOptions<L>) {
    this.name = options.name;
    this.#labelNames = options.labelNames;
    this.#limit = Math.max(1, options.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT);
    this.#onOverflow = options.onOverflow;
    meter.createObservableCounter(options.name, { description: options.help }).addCallback((result: ObservableResult) => {
      for (const series of this.#series.values()) result.observe(series.value, series.attributes);
      if (this.#overflow !== undefined) result.observe(this.#overflow.value, this.#overflow.attributes);
    });
  }

  /** Adds `n` (default 1) to the series of `labels`. */
  inc(labels: Readonly<Record<L, string>>, n = 1): void {
    this.add(this.#key(labels), () => labels, n);
  }

  /**
   * Makes the series of `labels` exist at 0 (unless it exists), so that it is on /metrics before
   * its first count: `increase(x[15m]) > 0` sees the step from 0 to 1, where a series that
   * appears at 1 has no earlier sample and the first failure would go unnoticed.
   */
  declare(labels: Readonly<Record<L, string>>): void {
    this.add(this.#key(labels), () => labels, 0);
  }

  /**
   * Adds `n` to the series `key` stands for; `labels` is called only for a series not seen yet.
   * For callers that already hold a key and would otherwise build a labels object per call.
   */
  add(key: string, labels: () => Readonly<Record<L, string>>, n = 1): void {
    const series = this.#series.get(key);
    if (series !== undefined) {
      series.value += n;
      return;
    }
    // One place is kept for the overflow series, as the SDK counts it.
    if (this.#series.size >= this.#limit - 1) {
      if (n === 0) return;
      this.#overflow ??= { attributes: OVERFLOW_ATTRIBUTES, value: 0 };
      this.#overflow.value += n;
      this.#onOverflow?.(n);
      return;
    }
    const given = labels();
    // Own attributes in labelNames order: Prometheus text lists labels in the order given.
    const attributes: Attributes = {};
    for (const name of this.#labelNames) attributes[name] = given[name];
    this.#series.set(key, { attributes, value: n });
  }

  /** The count of every series with these label values (all series when `labels` is empty; the overflow series only then). */
  value(labels: Partial<Record<L, string>> = {}): number {
    let sum = 0;
    for (const series of this.#series.values()) {
      if (this.#labelNames.every((name) => labels[name] === undefined || series.attributes[name] === labels[name])) sum += series.value;
    }
    if (this.#overflow !== undefined && this.#labelNames.every((name) => labels[name] === undefined)) sum += this.#overflow.value;
    return sum;
  }

  #key(labels: Readonly<Record<L, string>>): string {
    let key = '';
    for (const name of this.#labelNames) key += `${labels[name]}\u0000`;
    return key;
  }
}
