import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';

/** Options of {@link Gauge}. */
export interface GaugeOptions<L extends string> {
  name: string;
  help: string;
  /** Labels in output order; none for a single value, which reads 0 until set. */
  labelNames?: readonly L[];
  /**
   * Called at each collection before the values are read, to set values read from elsewhere
   * (queue depths). A labelled series this call does not set reads 0: a sink that is gone (a
   * leadership term that ended) is not reported at its last value for ever. (It cannot vanish:
   * the SDK's cumulative collection keeps every series it was once given, at its last value.)
   */
  collect?: (gauge: Gauge<L>) => void;
}

/**
 * The last value per label set, kept in plain numbers and published through an observable
 * gauge read at collection. Some gauges move per chunk received (the watch's last activity):
 * setting one is a field write.
 */
export class Gauge<L extends string = never> {
  readonly #labelNames: readonly L[];
  readonly #series = new Map<string, { readonly attributes: Attributes; value: number }>();
  // A gauge without labels has one value from the start, as Prometheus clients report it.
  #value = 0;

  constructor(meter: Meter, options: GaugeOptions<L>) {
    this.#labelNames = options.labelNames ?? [];
    const { collect } = options;
    meter.createObservableGauge(options.name, { description: options.help }).addCallback((result: ObservableResult) => {
      if (collect !== undefined) {
        for (const series of this.#series.values()) series.value = 0;
        collect(this);
      }
      if (this.#labelNames.length === 0) result.observe(this.#value);
      for (const series of this.#series.values()) result.observe(series.value, series.attributes);
    });
  }

  /** Sets the single value (a gauge without labels) or the value of `labels`. */
  set(value: number): void;
  set(labels: Readonly<Record<L, string>>, value: number): void;
  set(labelsOrValue: Readonly<Record<L, string>> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') {
      this.#value = labelsOrValue;
      return;
    }
    let key = '';
    for (const name of this.#labelNames) key += `${labelsOrValue[name]}\u0000`;
    const series = this.#series.get(key);
    if (series !== undefined) {
      series.value = value ?? 0;
      return;
    }
    const attributes: Attributes = {};
    for (const name of this.#labelNames) attributes[name] = labelsOrValue[name];
    this.#series.set(key, { attributes, value: value ?? 0 });
  }
}
