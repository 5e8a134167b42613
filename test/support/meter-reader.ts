import type { Attributes, Meter } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

/** A reader that collects on demand, as a scrape does (no timer, nothing exported). */
class OnDemandReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point as collected: its attributes and value (a number, or a histogram's buckets). */
export interface Point {
  attributes: Attributes;
  value: unknown;
}

/** A meter of its own and what a collection reads from it, for testing one instrument at a time. */
export function testMeter(): { meter: Meter; collect: () => Promise<Map<string, MetricData>>; points: (name: string) => Promise<Point[]> } {
  const reader = new OnDemandReader();
  const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  };
  const points = async (name: string) => ((await collect()).get(name)?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
  return { meter, collect, points };
}
