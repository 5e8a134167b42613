import type { HrTime } from '@opentelemetry/api';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The last whole second OTLP can carry: times are unsigned 64-bit nanoseconds since 1970
 * (2^64 ns is 2554-07-21T23:34:33.709551616Z).
 */
const MAX_OTLP_SECONDS = 18_446_744_072;

/**
 * Parses an RFC 3339 timestamp (as the API server writes `MicroTime` and `Time`) into an
 * HrTime without losing the microseconds that `Date.parse` would drop.
 * Returns undefined for anything that is not such a timestamp, and for a time OTLP cannot
 * carry: the API server stores any year from 0000 to 9999, and over OTLP/JSON the Collector
 * refuses the whole request (400) for one time before 1970 or after 2554.
 */
export function parseRfc3339(value: string | undefined): HrTime | undefined {
  if (value === undefined) return undefined;
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = match[2] ?? '';
  const nanos = fraction === '' ? 0 : Number(fraction.padEnd(9, '0'));
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0 || seconds > MAX_OTLP_SECONDS) return undefined;
  return [seconds, nanos];
}

export function hrTimeFromMillis(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function hrTimeToIso(time: HrTime): string {
  const iso = new Date(time[0] * 1000).toISOString();
  return `${iso.slice(0, 19)}.${String(time[1]).padStart(9, '0')}Z`;
}
