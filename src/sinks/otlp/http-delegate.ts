import { createOtlpNetworkExportDelegate, getSharedConfigurationDefaults, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonLogsSerializer, LogsExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ENCODED_LOGS_METRICS_HELPER, encodedLogsSerializer } from './encoded-logs-serializer.ts';
import { HttpTransport } from './http-transport.ts';
import type { EncodedLogRecord, LogRecordEncoder } from './log-record-encoder.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import type { PartialSuccess } from './partial-success.ts';

/**
 * The SDK's OTLP/HTTP logs export (serialiser, export delegate, its self-observability metrics)
 * over our {@link HttpTransport}: the SDK's HTTP exporters would put their retrying transport
 * underneath, inside our retry sender. http/protobuf: the request is made of the records the sink's
 * encoder encoded when they were queued (`log-record-encoder.ts`).
 */
export function httpProtobufLogsDelegate(settings: OtlpSettings, userAgent: string, encoder: LogRecordEncoder, partial: PartialSuccess): IOtlpExportDelegate<EncodedLogRecord[]> {
  const { shared, transport } = parts(settings, userAgent, false);
  const metrics = createOtlpHttpExporterMetrics('otlp_http_log_exporter', ENCODED_LOGS_METRICS_HELPER, settings.url, undefined);
  return createOtlpNetworkExportDelegate(shared, partial.wrap(encodedLogsSerializer(encoder)), metrics, transport);
}

/** http/json: the SDK's JSON serialiser, from the records themselves. */
export function httpJsonLogsDelegate(settings: OtlpSettings, userAgent: string, partial: PartialSuccess): IOtlpExportDelegate<ReadableLogRecord[]> {
  const { shared, transport } = parts(settings, userAgent, true);
  const metrics = createOtlpHttpExporterMetrics('otlp_http_json_log_exporter', LogsExporterMetricsHelper, settings.url, undefined);
  return createOtlpNetworkExportDelegate(shared, partial.wrap(JsonLogsSerializer), metrics, transport);
}

function parts(settings: OtlpSettings, userAgent: string, json: boolean) {
  const transport = new HttpTransport({
    url: settings.url,
    contentType: json ? 'application/json' : 'application/x-protobuf',
    headers: settings.headers,
    compression: settings.compression,
    tls: settings.tls,
    userAgent,
  });
  const shared = { ...getSharedConfigurationDefaults(), timeoutMillis: settings.timeoutMs, compression: settings.compression };
  return { shared, transport };
}
