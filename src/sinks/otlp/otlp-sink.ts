import { ExportResultCode, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import { CompressionAlgorithm, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { readFileSync } from 'node:fs';
import type { EventRecord } from '../../model/event-record.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import { toReadableLogRecords } from './resource-grouping.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export interface OtlpSinkOptions {
  name: string;
  /** Base URL (`http://collector:4318`) or a full `/v1/logs` URL; undefined: the OTEL_EXPORTER_OTLP_* env. */
  endpoint?: string;
  /** Default: OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  compression?: 'gzip' | 'none';
  timeoutMs?: number;
  scope: InstrumentationScope;
  env?: NodeJS.ProcessEnv;
  /** TLS files (PEM) and switches. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string; insecureSkipVerify?: boolean };
  /** gRPC without TLS. */
  insecure?: boolean;
  /**
   * Whether the OTEL_EXPORTER_OTLP_* variables apply (default true). Only the first OTLP sink
   * takes them: a second sink must not inherit, say, the first one's auth header.
   */
  useEnv?: boolean;
}

const OTLP_ENV = /^OTEL_EXPORTER_OTLP_/;

/** Runs `build` with the OTEL_EXPORTER_OTLP_* variables hidden (the exporters read them when constructed). */
function withoutOtlpEnv<T>(build: () => T): T {
  const saved = Object.entries(process.env).filter(([key]) => OTLP_ENV.test(key));
  for (const [key] of saved) delete process.env[key];
  try {
    return build();
  } finally {
    for (const [key, value] of saved) process.env[key] = value;
  }
}

/** gRPC INVALID_ARGUMENT: the only status that says the data itself was refused. */
const GRPC_INVALID_ARGUMENT = 3;

/** The protocol of an OTLP sink whose config leaves it unset, per the OTEL_* spec. */
export function protocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol {
  const value = env['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'] || 'http/protobuf';
  return value === 'grpc' || value === 'http/json' ? value : 'http/protobuf';
}

/** The `/v1/logs` URL for an http protocol, from a base endpoint as OTEL_EXPORTER_OTLP_ENDPOINT has it. */
export function httpLogsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname.endsWith('/v1/logs')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/logs`;
  return url.toString();
}

/**
 * Exports over OTLP with the OpenTelemetry JS exporters (serialisation, transport,
 * compression, the OTEL_EXPORTER_OTLP_* variables). Delivery is the router's job: this sink
 * is called by a queue that retries until success, so no SDK processor (which drops on a full
 * queue or after a few retries) is involved.
 */
export class OtlpSink implements Sink {
  readonly type = 'otlp';
  readonly name: string;
  readonly protocol: OtlpProtocol;
  #exporter: LogRecordExporter | undefined;
  /** Loads the protocol's exporter module; resolves with a synchronous constructor. */
  readonly #load: () => Promise<() => LogRecordExporter>;
  readonly #useEnv: boolean;
  readonly #scope: InstrumentationScope;

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.#scope = options.scope;
    this.protocol = options.protocol ?? (options.useEnv === false ? 'http/protobuf' : protocolFromEnv(options.env ?? process.env));
    const headers = options.headers && Object.keys(options.headers).length > 0 ? options.headers : undefined;
    const compression =
      options.compression === undefined
        ? undefined
        : options.compression === 'gzip'
          ? CompressionAlgorithm.GZIP
          : CompressionAlgorithm.NONE;
    const tls = options.tls;
    const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
    const ca = read(tls?.caFile);
    const cert = read(tls?.certFile);
    const key = read(tls?.keyFile);
    const agentOptions =
      ca || cert || key || tls?.insecureSkipVerify
        ? {
            keepAlive: true,
            ...(ca ? { ca } : {}),
            ...(cert ? { cert } : {}),
            ...(key ? { key } : {}),
            ...(tls?.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
          }
        : undefined;
    const common = {
      ...(headers ? { headers } : {}),
      ...(compression ? { compression } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMillis: options.timeoutMs } : {}),
    };
    // Each protocol's exporter is loaded when the sink starts, so that a router that never speaks
    // gRPC never loads (or keeps in memory) @grpc/grpc-js, and so on.
    this.#load = async (): Promise<() => LogRecordExporter> => {
      if (this.protocol === 'grpc') {
        const [{ OTLPLogExporter: GrpcLogExporter }, { credentials: grpcCredentials }] = await Promise.all([
          import('@opentelemetry/exporter-logs-otlp-grpc'),
          import('@grpc/grpc-js'),
        ]);
        const secure = !(options.insecure ?? options.endpoint?.startsWith('http://') ?? false);
        const channel = ca || cert || key || options.insecure !== undefined ? (secure ? grpcCredentials.createSsl(ca ?? null, key ?? null, cert ?? null) : grpcCredentials.createInsecure()) : undefined;
        return () =>
          new GrpcLogExporter({
            ...common,
            ...(options.endpoint ? { url: options.endpoint } : {}),
            ...(channel ? { credentials: channel } : {}),
          } as ConstructorParameters<typeof GrpcLogExporter>[0]);
      }
      const url = options.endpoint ? { url: httpLogsUrl(options.endpoint) } : {};
      const config = { ...common, ...url, ...(agentOptions ? { httpAgentOptions: agentOptions } : {}) };
      if (this.protocol === 'http/json') {
        const { OTLPLogExporter: JsonLogExporter } = await import('@opentelemetry/exporter-logs-otlp-http');
        return () => new JsonLogExporter(config);
      }
      const { OTLPLogExporter: ProtoLogExporter } = await import('@opentelemetry/exporter-logs-otlp-proto');
      return () => new ProtoLogExporter(config);
    };
    this.#useEnv = options.useEnv !== false;
  }

  async start(): Promise<void> {
    if (this.#exporter !== undefined) return;
    const construct = await this.#load();
    this.#exporter = this.#useEnv ? construct() : withoutOtlpEnv(construct);
  }

  export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    const exporter = this.#exporter;
    if (exporter === undefined) return Promise.resolve({ ok: false, retryable: true, error: new Error(`sink ${this.name} is not started`) });
    const readable = toReadableLogRecords(records, this.#scope);
    return new Promise((resolve) => {
      try {
        exporter.export(readable, (result: ExportResult) => resolve(this.#outcome(result)));
      } catch (error) {
        resolve({ ok: false, retryable: true, error: error as Error });
      }
    });
  }

  #outcome(result: ExportResult): ExportOutcome {
    if (result.code === ExportResultCode.SUCCESS) return { ok: true };
    const error = result.error ?? new Error('export failed');
    return { ok: false, retryable: this.#isRetryable(error), error };
  }

  /** Only a refusal of the data itself is permanent; everything else (outage, auth, timeout) is retried. */
  #isRetryable(error: Error): boolean {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') return true;
    if (this.protocol === 'grpc') return code !== GRPC_INVALID_ARGUMENT;
    if (!(error instanceof OTLPExporterError)) return true;
    return !(code === 400 || code === 413 || code === 415 || code === 422);
  }

  async shutdown(): Promise<void> {
    await this.#exporter?.shutdown();
  }
}
