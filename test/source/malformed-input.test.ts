import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { MalformedInput } from '../../src/source/malformed-input.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';

function capture(): { malformed: MalformedInput; metrics: Metrics; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) entries.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const metrics = new Metrics();
  return { malformed: new MalformedInput(metrics, pino({ level: 'debug' }, stream)), metrics, entries };
}

function counted(metrics: Metrics, kind: string): Promise<number> {
  return metricSum(metrics, 'eventrouter_malformed_total', { kind });
}

describe('malformed input', () => {
  it('counts every report by kind', async () => {
    const { malformed, metrics } = capture();
    for (let i = 0; i < 3; i++) malformed.report('invalid-json', `line ${i}`);
    malformed.report('line-too-long', '5000000 bytes in one line');
    assert.equal(await counted(metrics, 'invalid-json'), 3);
    assert.equal(await counted(metrics, 'line-too-long'), 1);
  });

  it('warns once per kind and logs the repeats at debug, so that a hostile stream cannot flood the logs', () => {
    const { malformed, entries } = capture();
    for (let i = 0; i < 100; i++) malformed.report('invalid-json', `line ${i}`);
    malformed.report('no-object', 'x');
    const warnings = entries.filter((e) => e['level'] === 40);
    assert.deepEqual(warnings.map((e) => e['kind']), ['invalid-json', 'no-object']);
    assert.equal(entries.filter((e) => e['level'] === 20).length, 99);
  });

  it('normalizes a usable Event', () => {
    const { malformed } = capture();
    assert.equal(malformed.normalize(podEvent({ reason: 'Pulled' }))?.reason, 'Pulled');
  });

  it('skips and counts an object that is not a usable Event instead of throwing', async () => {
    const { malformed, metrics } = capture();
    assert.equal(malformed.normalize({ kind: 'Event', metadata: {} }), undefined);
    assert.equal(malformed.normalize('not an object'), undefined);
    assert.equal(await metricSum(metrics, 'eventrouter_malformed_total'), 2);
  });
});
