import { readFileSync } from 'node:fs';
import type { OtlpSinkConfig } from '../../config/schema.ts';
import type { OtlpEnv, OtlpProtocol } from '../../config/otlp-env.ts';

/** Everything an {@link OtlpSink} needs, decided: the config entry first, then the OTEL_* variables, then the OTLP spec's defaults. */
export interface OtlpSettings {
  protocol: OtlpProtocol;
  /** http: the full `/v1/logs` URL; grpc: the URL whose host:port is dialled. */
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** PEM contents, read when the sink is built. */
  tls: { ca: Buffer | undefined; cert: Buffer | undefined; key: Buffer | undefined; insecureSkipVerify: boolean };
  /** gRPC: plaintext instead of TLS. */
  insecure: boolean;
}

/**
 * The OTLP exporter spec's defaults, for what neither the config nor the environment sets.
 * (Not schema defaults: an unset config key must let the OTEL_* variable through.)
 */
const SPEC_DEFAULTS = {
  protocol: 'http/protobuf',
  httpEndpoint: 'http://localhost:4318',
  grpcEndpoint: 'http://localhost:4317',
  compression: 'none',
  timeoutMs: 10_000,
} as const;

/** The `/v1/logs` URL for an http protocol, from a base endpoint as OTEL_EXPORTER_OTLP_ENDPOINT has it. */
export function httpLogsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname.endsWith('/v1/logs')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/logs`;
  return url.toString();
}

function endpointFor(protocol: OtlpProtocol, config: string | undefined, env: OtlpEnv): string {
  if (protocol === 'grpc') return config ?? env.logsEndpoint ?? env.endpoint ?? SPEC_DEFAULTS.grpcEndpoint;
  if (config !== undefined) return httpLogsUrl(config);
  // The logs-specific variable is the whole URL; the generic one is a base, as the spec has it.
  if (env.logsEndpoint !== undefined) return env.logsEndpoint;
  return httpLogsUrl(env.endpoint ?? SPEC_DEFAULTS.httpEndpoint);
}

/**
 * Settles an OTLP sink's settings. `headers` are the config's, already resolved (`{env}`,
 * `{file}`); `env` is {@link readOtlpEnv} for the first OTLP sink, `NO_OTLP_ENV` for the others.
 */
export function otlpSettings(config: OtlpSinkConfig, headers: Record<string, string>, env: OtlpEnv): OtlpSettings {
  const protocol = config.protocol ?? env.protocol ?? SPEC_DEFAULTS.protocol;
  const url = endpointFor(protocol, config.endpoint, env);
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  // Without a scheme, gRPC plaintext is what OTEL_EXPORTER_OTLP_INSECURE says; http:// implies it.
  const insecure = config.insecure ?? (/^https:/i.test(url) ? false : /^http:/i.test(url) ? true : (env.insecure ?? false));
  return {
    protocol,
    url,
    // The config's headers win over the environment's, key by key (as in the OpenTelemetry SDKs).
    headers: { ...env.headers, ...headers },
    compression: config.compression ?? env.compression ?? SPEC_DEFAULTS.compression,
    timeoutMs: config.timeout ?? env.timeoutMs ?? SPEC_DEFAULTS.timeoutMs,
    tls: {
      ca: read(config.tls?.caFile ?? env.caFile),
      cert: read(config.tls?.certFile ?? env.certFile),
      key: read(config.tls?.keyFile ?? env.keyFile),
      insecureSkipVerify: config.tls?.insecureSkipVerify ?? false,
    },
    insecure,
  };
}
