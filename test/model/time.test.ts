import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRfc3339, parseRfc3339ByDate, parseTimeMillis } from '../../src/model/time.ts';

/** parseRfc3339 as it was written first (a regular expression and Date.parse): the reference. */
const reference = (value: string) => parseRfc3339ByDate(value);

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
/** Timestamps shaped like the API server's, with every field also a little out of range, and near-misses of the shape. */
const timestamp = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
    month: two(13),
    day: two(32),
    hour: two(25),
    minute: two(60),
    second: two(61),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,11}$/), { nil: undefined }),
    zone: fc.oneof(fc.constantFrom('Z', 'z', '', 'UTC', '+00:00', '-00:00'), fc.tuple(fc.constantFrom('+', '-'), two(25), two(60)).map(([s, h, m]) => `${s}${h}:${m}`)),
    t: fc.constantFrom('T', 'T', 'T', 't', ' '),
  })
  .map(({ year, month, day, hour, minute, second, fraction, zone, t }) => `${year}-${month}-${day}${t}${hour}:${minute}:${second}${fraction === undefined ? '' : `.${fraction}`}${zone}`);

describe('parseRfc3339', () => {
  it('reads what the regular expression and Date.parse read, to the nanosecond, for any such timestamp (property)', () => {
    fc.assert(
      fc.property(timestamp, (value) => {
        assert.deepEqual(parseRfc3339(value), reference(value), value);
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps the microseconds of a MicroTime and applies an offset', () => {
    assert.deepEqual(parseRfc3339('2024-05-01T12:00:00.123456Z'), [1714564800, 123_456_000]);
    assert.deepEqual(parseRfc3339('2024-05-01T14:00:00.5+02:00'), [1714564800, 500_000_000]);
    assert.deepEqual(parseRfc3339('2024-02-29T00:00:00Z'), [Date.UTC(2024, 1, 29) / 1000, 0]);
  });

  it('refuses what OTLP cannot carry and what is no timestamp', () => {
    assert.equal(parseRfc3339('1969-12-31T23:59:59Z'), undefined);
    assert.equal(parseRfc3339('9999-12-31T23:59:59Z'), undefined);
    assert.equal(parseRfc3339('2024-05-01T12:00:00.1234567891Z'), undefined);
    assert.equal(parseRfc3339('2024-05-01T12:00:00.Z'), undefined);
    assert.equal(parseRfc3339('2024-05-01'), undefined);
    assert.equal(parseRfc3339(undefined), undefined);
  });
});

describe('parseTimeMillis', () => {
  it('is Date.parse, for any such timestamp and for other strings (property)', () => {
    fc.assert(
      fc.property(fc.oneof(timestamp, fc.string(), fc.constantFrom('2024-05-01', 'May 1, 2024', '')), (value) => {
        assert.equal(parseTimeMillis(value), Date.parse(value), value);
      }),
      { numRuns: 20_000 },
    );
    assert.ok(Number.isNaN(parseTimeMillis(undefined)));
  });
});
