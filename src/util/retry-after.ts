/** Longest `Retry-After` honoured: a server (or a proxy in front of it) cannot park the router for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * `Retry-After` in whole seconds, as the API server's priority-and-fairness and max-in-flight
 * filters send it with 429 and as OTLP receivers send it with 429 and 503 (client-go reads
 * only this form too), capped at {@link MAX_RETRY_AFTER_MS}; undefined when absent or not a
 * number of seconds.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}
