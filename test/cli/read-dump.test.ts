import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readEventDump } from '../../src/cli/read-dump.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'eventrouter-dump-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('reading an event dump', () => {
  it('reads the real dumps: JSON List, YAML List, watch lines', () => {
    assert.equal(readEventDump(join(FIXTURES_DIR, 'troubleshoot-supportbundle-default-eventlist.json')).length, 5);
    assert.equal(readEventDump(join(FIXTURES_DIR, 'openshift-mustgather-aws-default-eventlist.yaml')).length, 72);
    assert.equal(readEventDump(join(FIXTURES_DIR, 'cardinalhq-eks-watch-events.ndjson')).length, 2);
  });

  it('accepts an empty List (a quiet namespace) and keeps objects that are not Events for the pipeline to count', () => {
    assert.deepEqual(readEventDump(file('empty-list.json', '{"kind":"EventList","items":[]}')), []);
    assert.equal(readEventDump(file('mixed.ndjson', '{"metadata":{"name":"a"}}\nnot json\n')).length, 2);
  });

  it('refuses files that are not a dump at all, saying what it expected', () => {
    for (const [name, text] of [['text.txt', 'just some words\n'], ['empty.json', ''], ['blank.yaml', '\n\n'], ['lines.json', '{not json\n{nor this\n'], ['number.yaml', '42\n'], ['comments.yaml', '# only a comment\n']] as const) {
      assert.throws(() => readEventDump(file(name, text)), /expected a `kubectl get events -o json\|yaml` dump|not valid JSON or YAML/, name);
    }
  });
});
