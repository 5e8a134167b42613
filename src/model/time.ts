import type { HrTime } from '@opentelemetry/api';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The last whole second OTLP can carry: times are unsigned 64-bit nanoseconds since 1970
 * (2^64 ns is 2554-07-21T23:34:33.709551616Z).
 */
const MAX_OTLP_SECONDS = 18_446_744_072;

/** Nanoseconds of the last timestamp {@link fastSeconds} read (a second result without an object). */
let fastNanos = 0;

/** The value of `count` ASCII digits at `at`, or -1 if any is not a digit. */
function digits(value: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Seconds since 1970 of a timestamp as the API server writes them (`2024-05-01T12:00:00Z`,
 * `…:00.123456Z`, `…:00+02:00`), read from its characters with no regular expression, substring
 * or `Date` (this ran for every event, up to six times: bench/README.md); its nanoseconds go to
 * {@link fastNanos}. NaN for anything else, including what `Date.parse` reads in its own way
 * (lower-case `t`/`z`, `24:00`, a 30 February), which {@link parseRfc3339} then reads as before.
 */
function fastSeconds(value: string): number {
  const length = value.length;
  if (length < 20 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return NaN;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  let at = 19;
  let nanos = 0;
  if (value.charCodeAt(at) === 46) {
    let scale = 100_000_000;
    // One to nine digits; a tenth is no RFC 3339 time of the API server's.
    for (at += 1; at < length && at < 29; at++) {
      const d = value.charCodeAt(at) - 48;
      if (d < 0 || d > 9) break;
      nanos += d * scale;
      scale /= 10;
    }
    const next = value.charCodeAt(at) - 48;
    if (at === 20 || (next >= 0 && next <= 9)) return NaN;
  }
  let offset = 0;
  const zone = value.charCodeAt(at);
  if (zone === 90) {
    if (at + 1 !== length) return NaN;
  } else if (zone === 43 || zone === 45) {
    if (at + 6 !== length || value.charCodeAt(at + 3) !== 58) return NaN;
    const hours = digits(value, at + 1, 2);
    const minutes = digits(value, at + 4, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
    offset = (zone === 43 ? 1 : -1) * (hours * 3600 + minutes * 60);
  } else return NaN;
  fastNanos = nanos;
  return daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
}

/**
 * Parses an RFC 3339 timestamp (as the API server writes `MicroTime` and `Time`) into an
 * HrTime without losing the microseconds that `Date.parse` would drop.
 * Returns undefined for anything that is not such a timestamp, and for a time OTLP cannot
 * carry: the API server stores any year from 0000 to 9999, and over OTLP/JSON the Collector
 * refuses the whole request (400) for one time before 1970 or after 2554.
 */
export function parseRfc3339(value: string | undefined): HrTime | undefined {
  if (value === undefined) return undefined;
  const fast = fastSeconds(value);
  if (fast === fast) return fast < 0 || fast > MAX_OTLP_SECONDS ? undefined : [fast, fastNanos];
  return parseRfc3339ByDate(value);
}

/**
 * {@link parseRfc3339} by a regular expression and `Date.parse`: what the fast path falls back
 * to for anything unusual (offsets, lower-case `t`/`z`), and the reference it is tested against.
 */
export function parseRfc3339ByDate(value: string): HrTime | undefined {
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

/** `Date.parse(value)` (epoch ms, NaN when unreadable or undefined), without `Date` for the API server's own timestamps. */
export function parseTimeMillis(value: string | undefined): number {
  if (value === undefined) return NaN;
  const fast = fastSeconds(value);
  if (fast === fast) return fast * 1000 + Math.floor(fastNanos / 1_000_000);
  return Date.parse(value);
}

export function hrTimeFromMillis(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function hrTimeToIso(time: HrTime): string {
  const iso = new Date(time[0] * 1000).toISOString();
  return `${iso.slice(0, 19)}.${String(time[1]).padStart(9, '0')}Z`;
}
