import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { ClassicFormatter } from '../../../src/sinks/stdout/json-line.ts';
import { StdoutSink } from '../../../src/sinks/stdout/stdout-sink.ts';
import { podEvent } from '../../support/harness.ts';

const records = (n: number) => Array.from({ length: n }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED'));

describe('stdout sink', () => {
  it('starts, exports one line per record, shuts down, and shuts down twice', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const sink = new StdoutSink({ name: 'out', format: 'json', stream: out });
    await sink.start();
    assert.deepEqual(await sink.export(records(2)), { ok: true });
    assert.equal(text.trim().split('\n').length, 2);
    await sink.shutdown();
    await sink.shutdown();
  });

  it('reports a stream that refuses the write as a retryable E_EXPORT_WRITE', async () => {
    const broken = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('EPIPE')) });
    broken.on('error', () => undefined);
    const outcome = await new StdoutSink({ name: 'out', format: 'json', stream: broken }).export(records(1));
    assert.equal(outcome.ok === false && outcome.error.code, 'E_EXPORT_WRITE');
    assert.equal(outcome.ok === false && outcome.error.retryable, true);
  });

  it('classic: remembers previous Event objects up to a byte bound, not only a count (large objects are forgotten first)', () => {
    const formatter = new ClassicFormatter(10_000, 200_000);
    const version = (name: string, count: number, message: string) => {
      const raw = podEvent({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, count, message });
      const record = mapEvent(normalizeEvent(raw), count === 1 ? 'ADDED' : 'UPDATED');
      record.raw = raw;
      return JSON.parse(formatter.format(record)) as { old_event?: { count: number } };
    };
    // Ten objects of ~30 KB: the byte bound holds about six of them.
    for (let i = 0; i < 10; i++) version(`big-${i}`, 1, 'b'.repeat(30_000));
    assert.equal(version('big-0', 2, 'b').old_event, undefined, 'the oldest large object is forgotten');
    assert.equal(version('big-9', 2, 'b').old_event?.count, 1, 'the newest is remembered');
  });

  it('classic: two sinks over the same records each print old_event on UPDATED lines, whichever formats first, and leave the records as they were', async () => {
    const texts = ['', ''];
    const sinks = texts.map((_, i) => {
      const out = new PassThrough();
      out.on('data', (chunk: Buffer) => (texts[i] += chunk.toString()));
      return new StdoutSink({ name: `classic-${i}`, format: 'classic', stream: out });
    });
    const version = (count: number) => {
      const raw = podEvent({ metadata: { name: 'shared', namespace: 'default', uid: 'uid-shared' }, count });
      const record = mapEvent(normalizeEvent(raw), count === 1 ? 'ADDED' : 'UPDATED');
      record.raw = raw;
      // Frozen as every sink must treat a fanned-out record: another sink reads it too.
      return Object.freeze(record);
    };
    const [first, second, third] = [version(1), version(2), version(3)];
    const [a, b] = sinks as [StdoutSink, StdoutSink];
    // Each sink's batches go out on their own timers: the order in which two sinks format the
    // same record is not fixed.
    assert.deepEqual(await a.export([first]), { ok: true });
    assert.deepEqual(await b.export([first]), { ok: true });
    assert.deepEqual(await b.export([second]), { ok: true });
    assert.deepEqual(await a.export([second, third]), { ok: true });
    assert.deepEqual(await b.export([third]), { ok: true });
    for (const [i, text] of texts.entries()) {
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { verb: string; event: { count: number }; old_event?: { count: number } });
      assert.deepEqual(lines.map((l) => [l.verb, l.event.count, l.old_event?.count]), [['ADDED', 1, undefined], ['UPDATED', 2, 1], ['UPDATED', 3, 2]], `sink ${i}`);
    }
  });

  it('classic: a retried batch prints the same old_event as its first attempt', async () => {
    let text = '';
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const sink = new StdoutSink({ name: 'classic', format: 'classic', stream: out });
    const version = (count: number) => {
      const raw = podEvent({ metadata: { name: 'again', namespace: 'default', uid: 'uid-again' }, count });
      const record = mapEvent(normalizeEvent(raw), count === 1 ? 'ADDED' : 'UPDATED');
      record.raw = raw;
      return record;
    };
    const batch = [version(1), version(2)];
    await sink.export(batch);
    await sink.export(batch);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { event: { count: number }; old_event?: { count: number } });
    assert.deepEqual(lines.map((l) => [l.event.count, l.old_event?.count]), [[1, undefined], [2, 1], [1, undefined], [2, 1]]);
  });

  it('writes a batch of long records in pieces of about 1 MiB, every line whole and in order', async () => {
    const pieces: string[] = [];
    const out = new Writable({ write: (chunk: Buffer, _encoding, callback) => (pieces.push(chunk.toString()), callback()) });
    const batch = Array.from({ length: 100 }, (_, i) => mapEvent(normalizeEvent(podEvent({ message: `${i} ${'b'.repeat(32_768)}` })), 'ADDED'));
    assert.deepEqual(await new StdoutSink({ name: 'out', format: 'json', stream: out }).export(batch), { ok: true });
    assert.ok(pieces.length > 1, `${pieces.length} write(s)`);
    for (const piece of pieces) assert.ok(piece.length <= 1024 * 1024 + 40_000 && piece.endsWith('\n'));
    const bodies = pieces.join('').trim().split('\n').map((line) => (JSON.parse(line) as { body: string }).body);
    assert.deepEqual(bodies.map((b) => Number(b.split(' ')[0])), Array.from({ length: 100 }, (_, i) => i));
  });
});
