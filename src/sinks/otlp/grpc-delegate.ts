import { getSharedConfigurationDefaults, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createEmptyMetadata, createInsecureCredentials, createOtlpGrpcExportDelegate, createSslCredentials } from '@opentelemetry/otlp-grpc-exporter-base';
import { LogsExporterMetricsHelper, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpSettings } from './otlp-settings.ts';
import type { PartialSuccess } from './partial-success.ts';

/**
 * The SDK's OTLP/gRPC logs export, built from the package's public parts with the settings as
 * decided (the SDK's exporter class would merge in OTEL_* variables of `process.env`). Its
 * transport makes one call per export: the gRPC exporter base has no retrying transport.
 * (Static imports: the bundle loads this package's CommonJS build, whose named exports a
 * dynamic `import()` would not see.)
 */
export function grpcLogsDelegate(settings: OtlpSettings, userAgent: string, partial: PartialSuccess): IOtlpExportDelegate<ReadableLogRecord[]> {
  const metadata = createEmptyMetadata();
  for (const [key, value] of Object.entries(settings.headers)) metadata.set(key, value);
  const { ca, key, cert } = settings.tls;
  const credentials = settings.insecure ? createInsecureCredentials() : createSslCredentials(ca, key, cert);
  return createOtlpGrpcExportDelegate(
    {
      ...getSharedConfigurationDefaults(),
      timeoutMillis: settings.timeoutMs,
      compression: settings.compression,
      url: grpcTarget(settings.url),
      metadata: () => metadata,
      credentials: () => credentials,
      userAgent,
    },
    partial.wrap(ProtobufLogsSerializer),
    'otlp_grpc_log_exporter',
    LogsExporterMetricsHelper,
    undefined,
    'LogsExportService',
    '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  );
}

/** grpc-js dials `host:port`; a path would be ignored, as the SDK does. */
function grpcTarget(url: string): string {
  if (url.startsWith('unix:')) return url;
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).host;
}
