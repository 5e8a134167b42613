import { parseSamples, type Sample } from '../support/metric-samples.ts';
import { waitFor } from '../support/otlp-receiver.ts';

/** One scrape of /metrics: when it was taken (Unix ms) and its samples. */
export interface Scrape {
  at: number;
  samples: Sample[];
}

/**
 * Scrapes a router's /metrics over HTTP every `periodMs`, as Prometheus does, and keeps every
 * scrape, so that the alerting rules can be evaluated over what was scraped
 * ({@link toInputSeries}).
 */
export class ScrapeRecorder {
  readonly scrapes: Scrape[] = [];
  readonly url: string;
  readonly periodMs: number;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #error: unknown;

  constructor(url: string, periodMs = 250) {
    this.url = url;
    this.periodMs = periodMs;
  }

  start(): void {
    this.#loop = this.#run().catch((error: unknown) => {
      this.#error = error;
    });
  }

  async #run(): Promise<void> {
    const start = Date.now();
    for (let k = 0; !this.#stopped; k++) {
      // Due times stay on the grid from `start`, so a slow scrape does not shift the ones after it.
      const due = start + k * this.periodMs;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      else k = Math.floor((Date.now() - start) / this.periodMs);
      if (this.#stopped) break;
      const at = Date.now();
      const response = await fetch(`${this.url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      this.scrapes.push({ at, samples: parseSamples(await response.text()) });
    }
  }

  /** The samples of the last scrape. */
  get last(): Sample[] {
    return this.scrapes.at(-1)?.samples ?? [];
  }

  /** Resolves once a scrape satisfies `predicate` (bounded). */
  async until(predicate: (samples: Sample[]) => boolean, what: string): Promise<void> {
    let seen = 0;
    await waitFor(() => {
      this.#check();
      for (; seen < this.scrapes.length; seen++) if (predicate(this.scrapes[seen]!.samples)) return true;
      return false;
    }, what);
  }

  /** Resolves once `count` more scrapes were taken (bounded). */
  async more(count: number): Promise<void> {
    const target = this.scrapes.length + count;
    await waitFor(() => {
      this.#check();
      return this.scrapes.length >= target;
    }, `${count} more scrapes of ${this.url}/metrics`);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    this.#check();
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}

/** One series of promtool's `input_series`: `name{label="value"}` and its values, one per step. */
export interface InputSeries {
  series: string;
  values: string;
}

export interface InputSeriesOptions {
  /** The metric names to convert (those the rules use); the rest is left out. */
  names: ReadonlySet<string>;
  /** The target labels Prometheus adds to every series of a scrape (`job`, `instance`). */
  targetLabels: Record<string, string>;
  /** promtool's `interval`, in seconds: the virtual time between two scrapes. */
  stepSeconds: number;
  /** Real time (Unix ms) of step 0; the first scrape's by default. Several targets share one. */
  start?: number;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(value) ? String(value) : value.toFixed(6);
}

function seriesText(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `${name}{${pairs.join(',')}}`;
}

/**
 * The scrapes as promtool `input_series`, on a dilated clock: scrape k (taken at real time
 * `at`) is the sample at step round((at - first) / period), so one real scrape period is one
 * promtool step (`stepSeconds`, e.g. a minute) and a rule's `for: 5m` or `[15m]` needs 5 or
 * 15 scrapes of the condition. Quantities that are times are dilated the same way, or a lag of
 * real seconds could never reach a threshold of virtual minutes: a `*_timestamp_seconds` value
 * becomes the virtual time of that instant (so `time() - x` is the virtual age), and any other
 * `*_seconds` gauge (an age or a lag) is multiplied by the dilation. Steps without a scrape are
 * `_` (no sample), as a missed scrape is.
 */
export function toInputSeries(scrapes: readonly Scrape[], periodMs: number, options: InputSeriesOptions): InputSeries[] {
  const first = options.start ?? scrapes[0]?.at ?? 0;
  const dilation = (options.stepSeconds * 1000) / periodMs;
  const steps = scrapes.length === 0 ? 0 : Math.round(((scrapes.at(-1)?.at ?? first) - first) / periodMs) + 1;
  const series = new Map<string, string[]>();
  for (const scrape of scrapes) {
    const step = Math.round((scrape.at - first) / periodMs);
    for (const sample of scrape.samples) {
      if (!options.names.has(sample.name)) continue;
      let value = sample.value;
      if (sample.name.endsWith('_timestamp_seconds')) value = ((value * 1000 - first) / 1000) * dilation;
      else if (sample.name.endsWith('_seconds')) value *= dilation;
      const key = seriesText(sample.name, { ...sample.labels, ...options.targetLabels });
      let values = series.get(key);
      if (values === undefined) series.set(key, (values = Array<string>(steps).fill('_')));
      values[step] = formatValue(value);
    }
  }
  return [...series].map(([key, values]) => ({ series: key, values: values.join(' ') }));
}

/** The number of promtool steps the scrapes span (the last one is at step count - 1). */
export function stepCount(scrapes: readonly Scrape[], periodMs: number, start = scrapes[0]?.at ?? 0): number {
  if (scrapes.length === 0) return 0;
  return Math.round(((scrapes.at(-1)?.at ?? 0) - start) / periodMs) + 1;
}
