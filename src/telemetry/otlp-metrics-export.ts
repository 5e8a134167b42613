import type { Attributes, ObservableResult } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceAttributesEnvDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Metrics } from './metrics.ts';

export interface OtlpMetricsExportOptions {
  metrics: Metrics;
  /** Base URL of an OTLP/HTTP receiver (`/v1/metrics` is appended). */
  endpoint: string;
  intervalMs: number;
  version: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Sends the router's own metrics over OTLP as well as serving them on /metrics: the counters
 * and gauges of the Prometheus registry become observable instruments read at each export
 * (histograms stay on /metrics only). The resource is the router's pod, not an event's object.
 */
export class OtlpMetricsExport {
  readonly #provider: MeterProvider;

  constructor(options: OtlpMetricsExportOptions) {
    const env = options.env ?? process.env;
    const identity: Attributes = { 'service.name': 'eventrouter', 'service.version': options.version };
    if (env['POD_NAME']) identity['k8s.pod.name'] = env['POD_NAME'];
    if (env['POD_NAMESPACE']) identity['k8s.namespace.name'] = env['POD_NAMESPACE'];
    const fromEnv = resourceAttributesEnvDetector.detect().attributes ?? {};
    const url = `${options.endpoint.replace(/\/+$/, '').replace(/\/v1\/metrics$/, '')}/v1/metrics`;
    this.#provider = new MeterProvider({
      resource: resourceFromAttributes({ ...fromEnv, ...identity } as Attributes),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url }),
          exportIntervalMillis: options.intervalMs,
          exportTimeoutMillis: Math.min(30_000, options.intervalMs),
        }),
      ],
    });
    const meter = this.#provider.getMeter('eventrouter', options.version);
    for (const metric of options.metrics.registry.getMetricsAsArray()) {
      const { name, help } = metric as unknown as { name: string; help: string };
      const type = (metric as unknown as { type: string }).type;
      if (type !== 'counter' && type !== 'gauge') continue;
      const instrument =
        type === 'counter'
          ? meter.createObservableCounter(name, { description: help })
          : meter.createObservableGauge(name, { description: help });
      instrument.addCallback(async (result: ObservableResult) => {
        const snapshot = await (metric as unknown as { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }).get();
        for (const value of snapshot.values) result.observe(value.value, value.labels as Attributes);
      });
    }
  }

  /** Exports what is pending and stops. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
