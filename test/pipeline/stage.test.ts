import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/model/event-record.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { type Stage, runStages } from '../../src/pipeline/stage.ts';
import { podEvent } from '../support/harness.ts';

const record = () => mapEvent(normalizeEvent(podEvent()), 'ADDED');

/** A stage that notes its name on the record's attributes as it passes. */
function marking(name: string, wait = false): Stage {
  return {
    name,
    process: (r: EventRecord) => {
      r.attributes[`passed.${name}`] = true;
      return wait ? Promise.resolve(r) : r;
    },
  };
}

const ending: Stage = { name: 'end', process: () => undefined };

describe('stages', () => {
  it('hands a record through every stage in order at once, with no promise, when none waits', () => {
    const seen: string[] = [];
    const stages = ['a', 'b', 'c'].map((name) => ({ name, process: (r: EventRecord) => (seen.push(name), r) }));
    const r = record();
    assert.equal(runStages(stages, r), r);
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('goes on after a stage that waits, through the stages after it', async () => {
    const out = runStages([marking('a'), marking('b', true), marking('c')], record());
    assert.ok(out instanceof Promise);
    const r = await out;
    assert.deepEqual(Object.keys(r!.attributes).filter((k) => k.startsWith('passed.')), ['passed.a', 'passed.b', 'passed.c']);
  });

  it('ends a record at the stage that returns undefined: the stages after it never see it', async () => {
    const r = record();
    assert.equal(runStages([marking('a'), ending, marking('c')], r), undefined);
    assert.equal(r.attributes['passed.c'], undefined);
    assert.equal(await runStages([marking('a', true), ending, marking('c')], record()), undefined);
  });
});
