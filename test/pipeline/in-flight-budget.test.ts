import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventRecord } from '../../src/model/event-record.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { InFlightBudget, estimateRecordBytes } from '../../src/pipeline/in-flight-budget.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A record of an event with a 1 MiB message, as the watch source gets it: a line, parsed,
 * normalized, mapped with the default maxBodyLength. In a function of its own, so that the
 * line and the parsed object are garbage when it returns.
 */
function bigMessageRecord(i: number): EventRecord {
  const object = { metadata: { name: `e${i}`, uid: `u${i}` }, involvedObject: { kind: 'Pod', name: 'p' }, message: `${i} ${'m'.repeat(1024 * 1024)}` };
  const frame = parseWatchFrame(JSON.stringify({ type: 'ADDED', object }));
  assert.equal(frame.type, 'ADDED');
  return mapEvent(normalizeEvent(frame.type === 'ADDED' ? frame.object : undefined), 'ADDED', { maxBodyLength: 32_768 });
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('in-flight budget', () => {
  it('makes a record wait while the bytes in flight would exceed the budget, and admits it once some are released', async () => {
    const budget = new InFlightBudget(1000);
    await budget.acquire(600);
    let admitted = false;
    const second = budget.acquire(600).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false);
    budget.release(600);
    await second;
    assert.equal(budget.usedBytes, 600);
  });

  it('admits a record larger than the whole budget when nothing else is in flight', async () => {
    const budget = new InFlightBudget(1000);
    await budget.acquire(5000);
    assert.equal(budget.usedBytes, 5000);
  });

  it('counts what a record of a 1 MiB message really holds on the heap (within a factor of 2)', () => {
    const count = 40;
    const held: EventRecord[] = [];
    let estimated = 0;
    const before = heapAfterGc();
    for (let i = 0; i < count; i++) {
      const record = bigMessageRecord(i);
      estimated += estimateRecordBytes(record);
      held.push(record);
    }
    const perRecord = (heapAfterGc() - before) / count;
    const estimate = estimated / count;
    assert.equal(held.length, count);
    assert.ok(perRecord < 2 * estimate && estimate < 2 * perRecord, `held ${Math.round(perRecord / 1024)} KiB per record, counted ${Math.round(estimate / 1024)} KiB`);
  });
});
