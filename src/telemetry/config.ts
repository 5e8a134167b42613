import { z } from 'zod';
import { positiveDuration } from '../config-kit/schema-kit.ts';
import { LOG_LEVELS } from './log-levels.ts';

/** `selfMetrics`: the OTLP push of the router's own metrics (otlp-metrics-export.ts). */
export const selfMetricsConfigSchema = z
  .object({
    otlpEndpoint: z
      .string()
      .default('')
      .describe(
        "OTLP/HTTP base URL (http://collector:4318) to push the router's own metrics to (the same counters, gauges and histograms as /metrics); empty: Prometheus /metrics only.",
      ),
    interval: positiveDuration('60s', 'the metrics SDK refuses an export interval of 0').describe("Export interval of the router's own metrics over OTLP."),
  })
  .strict()
  .prefault({})
  .describe("The router's own metrics, besides /metrics.");

/** `log`: the router's own logs (logger.ts). */
export const logConfigSchema = z
  .object({
    level: z.enum(LOG_LEVELS).default('info').describe('trace, debug, info, warn, error, fatal or silent (also EVENTROUTER_LOG_LEVEL).'),
  })
  .strict()
  .prefault({})
  .describe("The router's own logs (JSON on stderr).");

export type SelfMetricsConfig = z.output<typeof selfMetricsConfigSchema>;
export type LogConfig = z.output<typeof logConfigSchema>;
