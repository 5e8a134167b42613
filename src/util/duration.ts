const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * A Go-style duration (`500ms`, `15s`, `10m`, `1h30m`), or `0`, with surrounding blanks.
 * One source of truth: the loader tests text with it, and the JSON Schemas (`eventrouter
 * config schema`, the Helm chart's values.schema.json) carry it as `pattern`, so `5min` is
 * refused at `helm install` as it is at start-up. Written in the common subset of
 * ECMAScript and RE2 (Helm validates in Go).
 */
export const DURATION_PATTERN = '^\\s*(?:0|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+)\\s*$';
const DURATION = new RegExp(DURATION_PATTERN);

/** {@link DURATION_PATTERN}, or exactly `word` (`backfill: all`). */
export function durationOrPattern(word: string): string {
  return `^(?:${word}|${DURATION_PATTERN.slice(1, -1)})$`;
}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Parses a Go-style duration (`500ms`, `15s`, `10m`, `1h30m`) to milliseconds; undefined if invalid. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 0);
  }
  return total;
}

const FORMAT_UNITS: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];

/** Milliseconds as the shortest duration string {@link parseDuration} reads back (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let out = '';
  for (const [unit, size] of FORMAT_UNITS) {
    const whole = Math.floor(rest / size);
    if (whole > 0) {
      out += `${whole}${unit}`;
      rest -= whole * size;
    }
  }
  // Fractions of a millisecond (`1.5ms`) stay exact; rounding float noise keeps the text short.
  if (rest > 0) out += `${Number(rest.toFixed(6))}ms`;
  return out;
}
