import type { Attributes } from '@opentelemetry/api';
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
 * Pushes the router's own metrics over OTLP/HTTP protobuf as well as serving them on /metrics:
 * the periodic reader reads the same instruments through {@link Metrics.producer} (counters,
 * gauges and histograms, cumulative). The SDK binds a reader to a meter provider when the
 * provider is made, and the exporter is loaded only when the push is configured, so the reader
 * sits on a provider of its own whose resource is the router's pod (not an event's object).
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
          metricProducers: [options.metrics.producer],
        }),
      ],
    });
  }

  /** Exports what is pending and stops. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
