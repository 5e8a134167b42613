import { MAX_RETRY_AFTER_MS } from '../util/retry-after.ts';

/**
 * Why an export failed, as a stable code. Whether it is worth retrying follows from the code
 * alone ({@link RETRYABLE}), decided here once for every sink, so that the retry sender never
 * looks at status codes or error shapes.
 */
export type ExportErrorCode =
  /** The receiver refused the data itself (HTTP 400/415/422, gRPC INVALID_ARGUMENT): sending it again cannot help. */
  | 'E_EXPORT_REFUSED'
  /** The request was over the receiver's size limit (HTTP 413, gRPC RESOURCE_EXHAUSTED "larger than max"): the same batch would be refused again, its halves may not. */
  | 'E_EXPORT_TOO_LARGE'
  /** The receiver answered with another error status (429, 5xx, 401/403, 404, a gRPC status): an outage, overload or a setup being fixed. */
  | 'E_EXPORT_STATUS'
  /** No answer: connection refused or reset, DNS, TLS handshake. */
  | 'E_EXPORT_NETWORK'
  /** No answer within the sink's timeout. */
  | 'E_EXPORT_TIMEOUT'
  /** The records cannot be encoded; the same records would fail the same way. */
  | 'E_EXPORT_ENCODE'
  /** The output stream refused the write (stdout closed, a full pipe that errored). */
  | 'E_EXPORT_WRITE'
  /** The sink threw, which its contract forbids: a bug or hostile input, which a retry would meet again. */
  | 'E_EXPORT_THREW'
  /** `export` was called before `start` completed. */
  | 'E_EXPORT_NOT_STARTED';

const RETRYABLE: Record<ExportErrorCode, boolean> = {
  E_EXPORT_REFUSED: false,
  E_EXPORT_TOO_LARGE: false,
  E_EXPORT_STATUS: true,
  E_EXPORT_NETWORK: true,
  E_EXPORT_TIMEOUT: true,
  E_EXPORT_ENCODE: false,
  E_EXPORT_WRITE: true,
  E_EXPORT_THREW: false,
  E_EXPORT_NOT_STARTED: true,
};

export interface ExportErrorDetails {
  /** The HTTP status or gRPC status code of the answer, when there was one. */
  status?: number | undefined;
  /** How long the receiver asked us to wait (Retry-After); capped at {@link MAX_RETRY_AFTER_MS}. */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** A failed export: the only error shape the retry sender reads. */
export class ExportError extends Error {
  readonly code: ExportErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ExportErrorCode, message: string, details: ExportErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ExportError';
    this.code = code;
    this.retryable = RETRYABLE[code];
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs === undefined ? undefined : Math.min(Math.max(0, details.retryAfterMs), MAX_RETRY_AFTER_MS);
  }
}

/**
 * HTTP statuses that refuse the data itself. Everything else is retried, unlike the OTLP
 * spec's short retryable list (429, 502, 503, 504): the router promises not to lose events,
 * so an expired token (401), a missing route (404) or a 500 is waited out, not dropped.
 */
const REFUSED_HTTP = new Set([400, 415, 422]);
const HTTP_PAYLOAD_TOO_LARGE = 413;

/** The error for a non-2xx OTLP/HTTP answer. */
export function httpStatusError(status: number, retryAfterMs: number | undefined, body: string): ExportError {
  const text = body.trim().slice(0, 300);
  const message = `HTTP ${status}${text ? `: ${text}` : ''}`;
  const code = status === HTTP_PAYLOAD_TOO_LARGE ? 'E_EXPORT_TOO_LARGE' : REFUSED_HTTP.has(status) ? 'E_EXPORT_REFUSED' : 'E_EXPORT_STATUS';
  return new ExportError(code, message, { status, retryAfterMs });
}

/** gRPC INVALID_ARGUMENT: the status that says the data itself was refused. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
/**
 * How grpc-js and grpc-go word a request over the receiver's message size limit (the Collector's
 * default is 4 MiB). It comes as RESOURCE_EXHAUSTED, which is otherwise throttling, but the same
 * batch is refused every time: retried, it would hold its queue, and so the source, for good;
 * halved (the retry sender's split), it goes through.
 */
const MESSAGE_TOO_LARGE = /message larger than max/i;

/** The error for a failed gRPC call (a grpc-js `ServiceError`: a numeric `code` and `details`). */
export function grpcStatusError(error: Error & { code: number }): ExportError {
  const details = { status: error.code, cause: error };
  if (error.code === GRPC_INVALID_ARGUMENT) return new ExportError('E_EXPORT_REFUSED', error.message, details);
  if (error.code === GRPC_RESOURCE_EXHAUSTED && MESSAGE_TOO_LARGE.test(error.message)) return new ExportError('E_EXPORT_TOO_LARGE', error.message, details);
  if (error.code === GRPC_DEADLINE_EXCEEDED) return new ExportError('E_EXPORT_TIMEOUT', error.message, details);
  // grpc-js reports a refused or dropped connection as UNAVAILABLE.
  if (error.code === GRPC_UNAVAILABLE) return new ExportError('E_EXPORT_NETWORK', error.message, details);
  return new ExportError('E_EXPORT_STATUS', error.message, details);
}

/**
 * Any failure as an {@link ExportError}: one already is; a gRPC `ServiceError` is classified by
 * its status; anything else (a socket error, say) is a network failure, worth retrying.
 */
export function toExportError(error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'details' in error) {
    return grpcStatusError(error as unknown as Error & { code: number });
  }
  const cause = error instanceof Error ? error : new Error(String(error));
  return new ExportError('E_EXPORT_NETWORK', cause.message, { cause });
}
