import type { HrTime } from '@opentelemetry/api';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses an RFC 3339 timestamp (as the API server writes `MicroTime` and `Time`) into an
 * HrTime without losing the microseconds that `Date.parse` would drop.
 * Returns undefined for anything that is not such a timestamp.
 */
export function parseRfc3339(value: string | undefined): HrTime | undefined {
  if (value === undefined) return undefined;
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = match[2] ?? '';
  const nanos = fraction === '' ? 0 : Number(fraction.padEnd(9, '0'));
  return [Math.floor(ms / 1000), nanos];
}

export function hrTimeFromMillis(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function hrTimeToIso(time: HrTime): string {
  const iso = new Date(time[0] * 1000).toISOString();
  return `${iso.slice(0, 19)}.${String(time[1]).padStart(9, '0')}Z`;
}
