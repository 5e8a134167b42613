import type { Histogram as SdkHistogram, Meter } from '@opentelemetry/api';

/** Options of {@link Histogram}. */
export interface HistogramOptions<L extends string> {
  name: string;
  help: string;
  /** The labels `observe` takes (the SDK records the attributes as given). */
  labelNames: readonly L[];
  /** Upper bounds of the buckets (`le`), kept as they were so that dashboards' `_bucket` series stay the same. */
  buckets: number[];
}

/** A distribution per label set: an SDK histogram with explicit bucket boundaries, observed per export call (not per record). */
export class Histogram<L extends string> {
  readonly #histogram: SdkHistogram;

  constructor(meter: Meter, options: HistogramOptions<L>) {
    this.#histogram = meter.createHistogram(options.name, { description: options.help, advice: { explicitBucketBoundaries: options.buckets } });
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.#histogram.record(value, labels);
  }
}
