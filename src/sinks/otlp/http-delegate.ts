import { createOtlpNetworkExportDelegate, getSharedConfigurationDefaults, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonLogsSerializer, LogsExporterMetricsHelper, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { HttpTransport } from './http-transport.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import type { PartialSuccess } from './partial-success.ts';

/**
 * The SDK's OTLP/HTTP logs export (serialiser, export delegate, its self-observability metrics)
 * over our {@link HttpTransport}: the SDK's HTTP exporters would put their retrying transport
 * underneath, inside our retry sender.
 */
export function httpLogsDelegate(settings: OtlpSettings, userAgent: string, partial: PartialSuccess): IOtlpExportDelegate<ReadableLogRecord[]> {
  const json = settings.protocol === 'http/json';
  const transport = new HttpTransport({
    url: settings.url,
    contentType: json ? 'application/json' : 'application/x-protobuf',
    headers: settings.headers,
    compression: settings.compression,
    tls: settings.tls,
    userAgent,
  });
  const metrics = createOtlpHttpExporterMetrics(json ? 'otlp_http_json_log_exporter' : 'otlp_http_log_exporter', LogsExporterMetricsHelper, settings.url, undefined);
  const shared = { ...getSharedConfigurationDefaults(), timeoutMillis: settings.timeoutMs, compression: settings.compression };
  return createOtlpNetworkExportDelegate(shared, partial.wrap(json ? JsonLogsSerializer : ProtobufLogsSerializer), metrics, transport);
}
