import { readFileSync } from 'node:fs';
import type { OtlpSinkConfig } from './config.ts';
import type { OtlpCompression, OtlpEnv, OtlpProtocol } from './otlp-env.ts';
import { otlpTarget } from './otlp-target.ts';

/** Everything an {@link OtlpSink} needs, decided: the config entry first, then the OTEL_* variables, then the OTLP spec's defaults. */
export interface OtlpSettings {
  protocol: OtlpProtocol;
  /** http: the full `/v1/logs` URL; grpc: the URL whose host:port is dialled. */
  url: string;
  headers: Record<string, string>;
  compression: OtlpCompression;
  timeoutMs: number;
  /** PEM contents, read when the sink is built. */
  tls: { ca: Buffer | undefined; cert: Buffer | undefined; key: Buffer | undefined; insecureSkipVerify: boolean };
  /** gRPC: plaintext instead of TLS. */
  insecure: boolean;
}

/**
 * Settles an OTLP sink's settings. `headers` are the config's, already resolved (`{env}`,
 * `{file}`); `env` is {@link readOtlpEnv} for the first OTLP sink, `NO_OTLP_ENV` for the others.
 */
export function otlpSettings(config: OtlpSinkConfig, headers: Record<string, string>, env: OtlpEnv): OtlpSettings {
  const target = otlpTarget(config, env);
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  return {
    protocol: target.protocol,
    url: target.url,
    // The config's headers win over the environment's, key by key (as in the OpenTelemetry SDKs).
    headers: { ...env.headers, ...headers },
    compression: target.compression,
    timeoutMs: target.timeoutMs,
    tls: {
      ca: read(target.caFile),
      cert: read(target.certFile),
      key: read(target.keyFile),
      insecureSkipVerify: config.tls?.insecureSkipVerify ?? false,
    },
    insecure: target.insecure,
  };
}
