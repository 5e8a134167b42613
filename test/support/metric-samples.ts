import type { Metrics } from '../../src/telemetry/metrics.ts';

/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of Prometheus text (comments skipped, label values unescaped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of metric `name` on `/metrics` whose labels include `labels`. */
export async function samples(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<Sample[]> {
  return parseSamples(await metrics.text()).filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export async function metricSum(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await samples(metrics, name, labels)).reduce((sum, s) => sum + s.value, 0);
}

/** The samples of `name` by the value of one label: `{ exported: 3, failed: 1 }`. */
export async function byLabel(metrics: Metrics, name: string, label: string, labels: Record<string, string> = {}): Promise<Record<string, number>> {
  return Object.fromEntries((await samples(metrics, name, labels)).map((s) => [s.labels[label] ?? '', s.value]));
}
