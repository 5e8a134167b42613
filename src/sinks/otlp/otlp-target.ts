import type { SinkConfig } from '../sink-kinds.ts';
import type { OtlpSinkConfig } from './config.ts';
import type { OtlpCompression, OtlpEnv, OtlpProtocol } from './otlp-env.ts';

/**
 * The OTLP exporter spec's defaults, for what neither the config nor the environment sets.
 * (Not schema defaults: an unset config key must let the OTEL_* variable through.)
 */
export const OTLP_SPEC_DEFAULTS = {
  protocol: 'http/protobuf',
  httpEndpoint: 'http://localhost:4318',
  grpcEndpoint: 'http://localhost:4317',
  compression: 'none',
  timeoutMs: 10_000,
} as const;

/**
 * Where and how an OTLP sink sends, decided once (the config entry first, then the OTEL_*
 * variables, then the spec's defaults): the sink is built from it (`otlp-settings.ts`),
 * `config check` prints it and the start-up line names it, so the three cannot disagree.
 */
export interface OtlpTarget {
  protocol: OtlpProtocol;
  /** http: the full `/v1/logs` URL; grpc: the URL whose host:port is dialled. */
  url: string;
  compression: OtlpCompression;
  timeoutMs: number;
  /** gRPC: plaintext instead of TLS. */
  insecure: boolean;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
}

/** The `/v1/logs` URL for an http protocol, from a base endpoint as OTEL_EXPORTER_OTLP_ENDPOINT has it. */
export function httpLogsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname.endsWith('/v1/logs')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/logs`;
  return url.toString();
}

function endpointFor(protocol: OtlpProtocol, config: string | undefined, env: OtlpEnv): string {
  if (protocol === 'grpc') return config ?? env.logsEndpoint ?? env.endpoint ?? OTLP_SPEC_DEFAULTS.grpcEndpoint;
  if (config !== undefined) return httpLogsUrl(config);
  // The logs-specific variable is the whole URL; the generic one is a base, as the spec has it.
  if (env.logsEndpoint !== undefined) return env.logsEndpoint;
  return httpLogsUrl(env.endpoint ?? OTLP_SPEC_DEFAULTS.httpEndpoint);
}

/** `env`: {@link readOtlpEnv} for the first OTLP sink, `NO_OTLP_ENV` for the others. */
export function otlpTarget(config: OtlpSinkConfig, env: OtlpEnv): OtlpTarget {
  const protocol = config.protocol ?? env.protocol ?? OTLP_SPEC_DEFAULTS.protocol;
  const url = endpointFor(protocol, config.endpoint, env);
  // Without a scheme, gRPC plaintext is what OTEL_EXPORTER_OTLP_INSECURE says; http:// implies it.
  const insecure = config.insecure ?? (/^https:/i.test(url) ? false : /^http:/i.test(url) ? true : (env.insecure ?? false));
  return {
    protocol,
    url,
    compression: config.compression ?? env.compression ?? OTLP_SPEC_DEFAULTS.compression,
    timeoutMs: config.timeout ?? env.timeoutMs ?? OTLP_SPEC_DEFAULTS.timeoutMs,
    insecure,
    caFile: config.tls?.caFile ?? env.caFile,
    certFile: config.tls?.certFile ?? env.certFile,
    keyFile: config.tls?.keyFile ?? env.keyFile,
  };
}

/** The index of the OTLP sink that takes the OTEL_EXPORTER_OTLP_* variables (the first one), or -1. */
export function envOtlpSinkIndex(sinks: readonly { type: string }[]): number {
  return sinks.findIndex((sink) => sink.type === 'otlp');
}

/**
 * The config with every OTLP sink's settings written out as they will be used: what the
 * environment and the spec's defaults supply is filled in (an unset endpoint as the URL sent to,
 * protocol, compression, timeout, certificate files; the environment's headers under the
 * file's, key by key), so that `config check` shows the sink the OTEL_EXPORTER_OTLP_* variables
 * produce. Its output still reads back as a config (header values are redacted by the printer).
 */
export function withOtlpTargets<C extends { sinks?: SinkConfig[] | undefined }>(config: C, env: OtlpEnv, noEnv: OtlpEnv): C {
  const sinks = config.sinks ?? [];
  const first = envOtlpSinkIndex(sinks);
  return {
    ...config,
    sinks: sinks.map((sink, i) => {
      if (sink.type !== 'otlp') return sink;
      const used = i === first ? env : noEnv;
      const target = otlpTarget(sink, used);
      const tls = { ...sink.tls, ...(target.caFile ? { caFile: target.caFile } : {}), ...(target.certFile ? { certFile: target.certFile } : {}), ...(target.keyFile ? { keyFile: target.keyFile } : {}) };
      return {
        ...sink,
        // As written when set (the file reads back as it is); else the URL the sink will send to.
        endpoint: sink.endpoint ?? target.url,
        protocol: target.protocol,
        compression: target.compression,
        timeout: target.timeoutMs,
        headers: { ...used.headers, ...sink.headers },
        ...(Object.keys(tls).length > 0 ? { tls: { insecureSkipVerify: false, ...tls } } : {}),
        ...(used.insecure !== undefined && sink.insecure === undefined ? { insecure: target.insecure } : {}),
      };
    }),
  };
}
