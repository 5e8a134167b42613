import { parseKeyPairsIntoRecord } from '@opentelemetry/core';

/** The OTLP exporter spec's protocols (OTEL_EXPORTER_OTLP_PROTOCOL, `sinks[].protocol`). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** OTEL_EXPORTER_OTLP_COMPRESSION, `sinks[].compression`. */
export const OTLP_COMPRESSIONS = ['gzip', 'none'] as const;
export type OtlpCompression = (typeof OTLP_COMPRESSIONS)[number];

/**
 * What the OTEL_EXPORTER_OTLP_* variables say for logs, read from the `env` given (never from
 * `process.env` behind the caller's back). Per the OTLP exporter spec, each `_LOGS_` variable
 * wins over its generic one; only the first OTLP sink reads them (see `sink-factory.ts`).
 */
export interface OtlpEnv {
  protocol: OtlpProtocol | undefined;
  /** OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: used as it is. */
  logsEndpoint: string | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: a base URL, to which http protocols append `/v1/logs`. */
  endpoint: string | undefined;
  /** The generic headers, overridden key by key by the logs-specific ones. */
  headers: Record<string, string>;
  compression: OtlpCompression | undefined;
  timeoutMs: number | undefined;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  /** gRPC without TLS, for an endpoint given without a scheme. */
  insecure: boolean | undefined;
}

/** One variable in force: its name (for messages) and its value. */
export interface OtlpVariable {
  variable: string;
  value: string;
}

/** The logs-specific variable, else the generic one; blank counts as unset (as the spec has it). */
export function otlpVariable(env: NodeJS.ProcessEnv, name: string): OtlpVariable | undefined {
  for (const variable of [`OTEL_EXPORTER_OTLP_LOGS_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  return undefined;
}

function pick(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return otlpVariable(env, name)?.value;
}

export function readOtlpEnv(env: NodeJS.ProcessEnv): OtlpEnv {
  const protocol = pick(env, 'PROTOCOL');
  const compression = pick(env, 'COMPRESSION');
  // Milliseconds, per the spec. A value the spec does not allow is refused when the config is
  // loaded (otlp-env-check.ts); this reader, for the sink, only ever sees valid ones.
  const timeout = Number(pick(env, 'TIMEOUT'));
  const insecure = pick(env, 'INSECURE')?.toLowerCase();
  return {
    protocol: OTLP_PROTOCOLS.find((known) => known === protocol),
    logsEndpoint: env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT']?.trim() || undefined,
    endpoint: env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || undefined,
    headers: {
      ...parseKeyPairsIntoRecord(env['OTEL_EXPORTER_OTLP_HEADERS']),
      ...parseKeyPairsIntoRecord(env['OTEL_EXPORTER_OTLP_LOGS_HEADERS']),
    },
    compression: OTLP_COMPRESSIONS.find((known) => known === compression),
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    caFile: pick(env, 'CERTIFICATE'),
    certFile: pick(env, 'CLIENT_CERTIFICATE'),
    keyFile: pick(env, 'CLIENT_KEY'),
    insecure: insecure === undefined ? undefined : insecure === 'true',
  };
}

/** Nothing set: what a sink that must not read the variables sees. */
export const NO_OTLP_ENV: OtlpEnv = readOtlpEnv({});
