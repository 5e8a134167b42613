import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';

/** Options of {@link Counter}: the Prometheus name (ending in `_total`), its help text and its labels, in output order. */
export interface CounterOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
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
 */
export class Counter<L extends string> {
  readonly #labelNames: readonly L[];
  readonly #series = new Map<string, Series>();

  constructor(meter: Meter, options: CounterOptions<L>) {
    this.#labelNames = options.labelNames;
    meter.createObservableCounter(options.name, { description: options.help }).addCallback((result: ObservableResult) => {
      for (const series of this.#series.values()) result.observe(series.value, series.attributes);
    });
  }

  /** Adds `n` (default 1) to the series of `labels`. */
  inc(labels: Readonly<Record<L, string>>, n = 1): void {
    let key = '';
    for (const name of this.#labelNames) key += `${labels[name]}\u0000`;
    this.add(key, () => labels, n);
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
    const given = labels();
    // Own attributes in labelNames order: Prometheus text lists labels in the order given.
    const attributes: Attributes = {};
    for (const name of this.#labelNames) attributes[name] = given[name];
    this.#series.set(key, { attributes, value: n });
  }

  /** The count of every series with these label values (all series when `labels` is empty). */
  value(labels: Partial<Record<L, string>> = {}): number {
    let sum = 0;
    for (const series of this.#series.values()) {
      if (this.#labelNames.every((name) => labels[name] === undefined || series.attributes[name] === labels[name])) sum += series.value;
    }
    return sum;
  }
}
