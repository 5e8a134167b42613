import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { logConfigSchema, selfMetricsConfigSchema } from '../../src/telemetry/config.ts';
import { LOG_LEVELS } from '../../src/telemetry/log-levels.ts';
import { problems, undescribedKeys } from '../support/schema-probe.ts';

describe('telemetry config', () => {
  it('selfMetrics: no OTLP push by default, every 60s when an endpoint is set', () => {
    assert.deepEqual(selfMetricsConfigSchema.parse(undefined), { otlpEndpoint: '', interval: 60_000 });
    assert.deepEqual(selfMetricsConfigSchema.parse({ otlpEndpoint: 'http://collector:4318', interval: '15s' }), { otlpEndpoint: 'http://collector:4318', interval: 15_000 });
  });

  it('selfMetrics: refuses a number for the interval and an unknown key, by its key', () => {
    assert.deepEqual(problems(selfMetricsConfigSchema, { interval: 60, endpoint: 'x' }), [
      'interval: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 60',
      'endpoint: unknown key',
    ]);
  });

  it('selfMetrics: refuses an interval of 0 by its key, as the metrics SDK would at start-up without naming it', () => {
    assert.deepEqual(problems(selfMetricsConfigSchema, { otlpEndpoint: 'http://c:4318', interval: '0' }), ['interval: must be above 0 (the metrics SDK refuses an export interval of 0)']);
    assert.throws(
      () => new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 0, exportTimeoutMillis: 0 }),
      /exportIntervalMillis must be greater than 0/,
    );
  });

  it('log: info by default; takes exactly the levels the logger knows', () => {
    assert.deepEqual(logConfigSchema.parse(undefined), { level: 'info' });
    for (const level of LOG_LEVELS) assert.deepEqual(logConfigSchema.parse({ level }), { level });
    assert.deepEqual(problems(logConfigSchema, { level: 'verbose' }), [`level: Invalid option: expected one of ${LOG_LEVELS.map((l) => `"${l}"`).join('|')}`]);
    assert.deepEqual(problems(logConfigSchema, { level: 'INFO' }).length, 1, 'levels are lower case, as pino names them');
  });

  it('describes every key', () => {
    assert.deepEqual(undescribedKeys(selfMetricsConfigSchema), []);
    assert.deepEqual(undescribedKeys(logConfigSchema), []);
    assert.ok(selfMetricsConfigSchema.description && logConfigSchema.description);
  });
});
