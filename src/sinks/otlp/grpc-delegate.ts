import { ExportResultCode } from '@opentelemetry/core';
import { getSharedConfigurationDefaults, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { createEmptyMetadata, createInsecureCredentials, createOtlpGrpcExportDelegate, createSslCredentials } from '@opentelemetry/otlp-grpc-exporter-base';
import { ENCODED_LOGS_METRICS_HELPER, encodedLogsSerializer } from './encoded-logs-serializer.ts';
import type { EncodedLogRecord, LogRecordEncoder } from './log-record-encoder.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import type { PartialSuccess } from './partial-success.ts';
import { ExportError } from '../export-error.ts';

/**
 * The SDK's OTLP/gRPC logs export, built from the package's public parts with the settings as
 * decided (the SDK's exporter class would merge in OTEL_* variables of `process.env`). Its
 * transport makes one call per export: the gRPC exporter base has no retrying transport.
 * (Static imports: the bundle loads this package's CommonJS build, whose named exports a
 * dynamic `import()` would not see.) The request is made of the records the sink's encoder encoded
 * when they were queued (`log-record-encoder.ts`); grpc-js sends those bytes as they are.
 */
export function grpcLogsDelegate(settings: OtlpSettings, userAgent: string, encoder: LogRecordEncoder, partial: PartialSuccess): IOtlpExportDelegate<EncodedLogRecord[]> {
  const metadata = createEmptyMetadata();
  for (const [key, value] of Object.entries(settings.headers)) metadata.set(key, value);
  const { ca, key, cert } = settings.tls;
  const credentials = settings.insecure ? createInsecureCredentials() : createSslCredentials(ca, key, cert);
  const delegate = createOtlpGrpcExportDelegate(
    {
      ...getSharedConfigurationDefaults(),
      timeoutMillis: settings.timeoutMs,
      compression: settings.compression,
      url: grpcTarget(settings.url),
      metadata: () => metadata,
      credentials: () => credentials,
      userAgent,
    },
    partial.wrap(encodedLogsSerializer(encoder)),
    'otlp_grpc_log_exporter',
    ENCODED_LOGS_METRICS_HELPER,
    undefined,
    'LogsExportService',
    '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  );
  return {
    export: (records, done) =>
      delegate.export(records, (result) => {
        const answerTooLarge = result.code === ExportResultCode.SUCCESS ? undefined : oversizedAnswer(result.error, () => encoder.request(records).byteLength);
        done(answerTooLarge === undefined ? result : { code: result.code, error: answerTooLarge });
      }),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
    setMetrics: (metrics) => delegate.setMetrics(metrics),
  };
}

const GRPC_RESOURCE_EXHAUSTED = 8;
const LARGER_THAN_MAX = /larger than max \((\d+) vs\.? (\d+)\)/i;

/**
 * The error for a RESOURCE_EXHAUSTED "larger than max (N vs LIMIT)" that cannot be about the
 * request, or undefined. grpc-js words its own refusal of an answer over the client's 4 MiB
 * receive limit exactly as a receiver words its refusal of a request over its limit, and the
 * latter makes the retry sender halve the batch down to single records and drop each as too
 * large: a receiver (or proxy) with an oversized answer made every record count as too large
 * and be dropped. A request no larger than LIMIT, even uncompressed, was not what was refused.
 */
function oversizedAnswer(error: Error | undefined, requestBytes: () => number): ExportError | undefined {
  if (error === undefined || (error as { code?: unknown }).code !== GRPC_RESOURCE_EXHAUSTED) return undefined;
  const limit = LARGER_THAN_MAX.exec(error.message)?.[2];
  if (limit === undefined) return undefined;
  const bytes = requestBytes();
  if (bytes > Number(limit)) return undefined;
  return new ExportError('E_EXPORT_STATUS', `the receiver's answer is over the client's receive limit (the request was ${bytes} bytes): ${error.message}`, {
    status: GRPC_RESOURCE_EXHAUSTED,
    cause: error,
  });
}

/** grpc-js dials `host:port`; a path would be ignored, as the SDK does. */
function grpcTarget(url: string): string {
  if (url.startsWith('unix:')) return url;
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).host;
}
