import { z } from 'zod';
import { durationText, toMs } from '../../config-kit/schema-kit.ts';
import type { SinkEntry, SinkKindConfig } from '../config.ts';
import { otlpEntryProblems } from './otlp-entry-check.ts';
import { otlpEnvProblems } from './otlp-env-check.ts';
import { OTLP_COMPRESSIONS, OTLP_PROTOCOLS } from './otlp-env.ts';

/** A header value: literal, or read at start-up from an environment variable or a file (keep secrets out of the ConfigMap). */
export const headerValueSchema = z.union([z.string(), z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

/**
 * The otlp sink kind's own keys. None has a schema default where the OTLP spec has an
 * environment variable: an unset key must let OTEL_EXPORTER_OTLP_* through (otlp-target.ts
 * holds the spec's defaults, for what neither sets).
 */
export const otlpSinkShape = {
  // Checked with the protocol, beyond the schema: otlpEntryProblems.
  endpoint: z
    .string()
    .min(1)
    .optional()
    .describe('otlp: base URL (http://collector:4318, or :4317 for grpc) or the full /v1/logs URL; default OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT.'),
  protocol: z.enum(OTLP_PROTOCOLS).optional().describe('otlp: http/protobuf (default), http/json or grpc; default OTEL_EXPORTER_OTLP_(LOGS_)PROTOCOL.'),
  headers: z.record(z.string(), headerValueSchema).default({}).describe('otlp: request headers; a value is a string, {env: VAR} or {file: PATH}.'),
  compression: z.enum(OTLP_COMPRESSIONS).optional().describe('otlp: gzip or none; default OTEL_EXPORTER_OTLP_COMPRESSION.'),
  // The OTEL_EXPORTER_OTLP_*CERTIFICATE/KEY variables also apply to the first OTLP sink.
  tls: z
    .object({
      caFile: z.string().optional().describe('PEM CA bundle to verify the receiver.'),
      certFile: z.string().optional().describe('PEM client certificate (mTLS), with keyFile.'),
      keyFile: z.string().optional().describe('PEM client key (mTLS), with certFile.'),
      insecureSkipVerify: z.boolean().default(false).describe('Accept any server certificate (testing only).'),
    })
    .strict()
    .optional()
    .describe('otlp: TLS towards the receiver.'),
  insecure: z.boolean().optional().describe('otlp grpc: plaintext (implied by an http:// endpoint).'),
  // Above zero: a request given no time fails every attempt, so its batch is retried forever (the SDK refused 0 too).
  timeout: durationText()
    .transform(toMs)
    .refine((ms) => ms > 0, { error: 'must be above 0 (a request with no time to answer fails every attempt)' })
    .optional()
    .describe(
      'otlp: deadline of one export request. Default: OTEL_EXPORTER_OTLP_LOGS_TIMEOUT / OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds) for the first OTLP sink, else 10s.',
    ),
};

export type OtlpSinkConfig = SinkEntry<'otlp', typeof otlpSinkShape>;

export const config: SinkKindConfig<typeof otlpSinkShape> = {
  shape: otlpSinkShape,
  problems: (entry, raw, context) => otlpEntryProblems(entry as OtlpSinkConfig | undefined, raw, context),
  // The variables are checked by the rules of the keys they stand in for.
  envProblems: (raw, env) => otlpEnvProblems(raw, env, otlpSinkShape),
};
