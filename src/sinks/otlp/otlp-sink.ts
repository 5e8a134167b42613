import { ExportResultCode, type InstrumentationScope } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { EventRecord } from '../../model/event-record.ts';
import { ExportError, toExportError } from '../export-error.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import { toReadableLogRecords } from './resource-grouping.ts';

export interface OtlpSinkOptions extends OtlpSettings {
  name: string;
  scope: InstrumentationScope;
}

type Delegate = IOtlpExportDelegate<ReadableLogRecord[]>;

/**
 * Exports over OTLP with the OpenTelemetry JS building blocks (the logs serialisers, the export
 * delegate, the gRPC transport), making exactly one attempt per `export`: retrying is the
 * retry sender's job, so no SDK retrying transport and no SDK processor (which drops on a
 * full queue or after a few retries) is involved. The settings come decided (`otlp-settings.ts`):
 * nothing here reads the environment.
 */
export class OtlpSink implements Sink {
  readonly name: string;
  readonly protocol: OtlpSettings['protocol'];
  readonly #o: OtlpSinkOptions;
  #delegate: Delegate | undefined;
  #starting: Promise<Delegate> | undefined;

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.protocol = options.protocol;
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#starting ??= this.#create();
    this.#delegate = await this.#starting;
  }

  /**
   * Each protocol's modules are loaded when the sink starts, so that a router that never speaks
   * gRPC never loads (or keeps in memory) @grpc/grpc-js, and so on.
   */
  async #create(): Promise<Delegate> {
    const o = this.#o;
    const userAgent = `${o.scope.name}/${o.scope.version ?? 'unknown'}`;
    const [{ createOtlpNetworkExportDelegate, getSharedConfigurationDefaults }, { ProtobufLogsSerializer, JsonLogsSerializer, LogsExporterMetricsHelper }] = await Promise.all([
      import('@opentelemetry/otlp-exporter-base'),
      import('@opentelemetry/otlp-transformer'),
    ]);
    const shared = { ...getSharedConfigurationDefaults(), timeoutMillis: o.timeoutMs, compression: o.compression };
    if (o.protocol === 'grpc') {
      const [{ createOtlpGrpcExportDelegate }, grpc] = await Promise.all([import('@opentelemetry/otlp-grpc-exporter-base'), import('@grpc/grpc-js')]);
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(o.headers)) metadata.set(key, value);
      const credentials = o.insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(o.tls.ca ?? null, o.tls.key ?? null, o.tls.cert ?? null);
      // This delegate sends through the gRPC transport alone (no retrying transport, unlike the SDK's HTTP exporters).
      return createOtlpGrpcExportDelegate(
        { ...shared, url: grpcTarget(o.url), metadata: () => metadata, credentials: () => credentials, userAgent },
        ProtobufLogsSerializer,
        'otlp_grpc_log_exporter',
        LogsExporterMetricsHelper,
        undefined,
        'LogsExportService',
        '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      );
    }
    const [{ createOtlpHttpExporterMetrics }, { HttpTransport }] = await Promise.all([import('@opentelemetry/otlp-exporter-base/node-http'), import('./http-transport.ts')]);
    const json = o.protocol === 'http/json';
    const transport = new HttpTransport({
      url: o.url,
      contentType: json ? 'application/json' : 'application/x-protobuf',
      headers: o.headers,
      compression: o.compression,
      tls: o.tls,
      userAgent,
    });
    const metrics = createOtlpHttpExporterMetrics(json ? 'otlp_http_json_log_exporter' : 'otlp_http_log_exporter', LogsExporterMetricsHelper, o.url, undefined);
    return createOtlpNetworkExportDelegate(shared, json ? JsonLogsSerializer : ProtobufLogsSerializer, metrics, transport);
  }

  export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    const delegate = this.#delegate;
    if (delegate === undefined) return Promise.resolve({ ok: false, error: new ExportError('E_EXPORT_NOT_STARTED', `sink ${this.name} is not started`) });
    const readable = toReadableLogRecords(records, this.#o.scope);
    return new Promise((resolve) => {
      try {
        delegate.export(readable, (result) => resolve(result.code === ExportResultCode.SUCCESS ? { ok: true } : { ok: false, error: toExportError(result.error) }));
      } catch (error) {
        // Serialisation runs synchronously inside `export`: records it cannot encode fail the same way every time.
        resolve({ ok: false, error: new ExportError('E_EXPORT_ENCODE', (error as Error).message, { cause: error }) });
      }
    });
  }

  async shutdown(): Promise<void> {
    const delegate = this.#delegate;
    this.#delegate = undefined;
    this.#starting = undefined;
    await delegate?.shutdown();
  }
}

/** grpc-js dials `host:port`; a path would be ignored, as the SDK does. */
function grpcTarget(url: string): string {
  if (url.startsWith('unix:')) return url;
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).host;
}
