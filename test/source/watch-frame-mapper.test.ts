import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../src/kube/kube-client.ts';
import { GoneError } from '../../src/source/gone-error.ts';
import { MalformedInput } from '../../src/source/malformed-input.ts';
import { NdjsonLineReader } from '../../src/source/ndjson-line-reader.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { isResourceVersionTooLarge } from '../../src/source/too-large.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { WatchFrameMapper } from '../../src/source/watch-frame-mapper.ts';
import { type Logger, silentLogger } from '../../src/telemetry/logger.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent } from '../support/harness.ts';
import { metricSum } from '../support/metric-samples.ts';
import { type ScriptStep, frameLine, scriptedStream, status } from '../support/scripted-stream.ts';

/** What a scripted stream came to through the line reader and the mapper, as the source reads it. */
interface Read {
  items: SourceItem[];
  /** The cursor after delivering everything read. */
  cursor: string | undefined;
  frames: number;
  end: Error | undefined;
  /** Chunks read before the stream ended (an ERROR frame stops the reading). */
  chunks: number;
  metrics: Metrics;
}

async function read(steps: readonly ScriptStep[], maxLineBytes = 4 * 1024 * 1024, logger: Logger = silentLogger(), keepRaw?: boolean): Promise<Read> {
  const metrics = new Metrics();
  const mapper = new WatchFrameMapper(metrics, new MalformedInput(metrics, logger), keepRaw);
  const lines = new NdjsonLineReader({ maxLineBytes });
  const out: Read = { items: [], cursor: undefined, frames: 0, end: undefined, chunks: 0, metrics };
  for await (const chunk of scriptedStream(steps)) {
    out.chunks += 1;
    const mapped = mapper.read(lines, chunk);
    out.items.push(...(mapped.items ?? []));
    out.frames += mapped.frames;
    if (mapped.resourceVersion !== undefined) out.cursor = mapped.resourceVersion;
    out.end = mapped.end;
    if (out.end !== undefined) break;
  }
  return out;
}

function counted(metrics: Metrics, counter: 'malformed' | 'notifications', label: string): Promise<number> {
  return counter === 'malformed'
    ? metricSum(metrics, 'eventrouter_malformed_total', { kind: label })
    : metricSum(metrics, 'eventrouter_notifications_total', { type: label });
}

let rv = 2000;
/** An event as a watch carries it: with a resourceVersion. */
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  rv += 1;
  const base = podEvent(overrides);
  return { ...base, metadata: { ...(base['metadata'] as object), resourceVersion: String(rv) } };
}

const rvOf = (object: Record<string, unknown>) => (object['metadata'] as { resourceVersion: string }).resourceVersion;
const eventNames = (items: readonly SourceItem[]) => items.flatMap((i) => (i.kind === 'event' ? [i.event.name] : []));
const nameOf = (object: Record<string, unknown>) => (object['metadata'] as { name: string }).name;

describe('watch frame mapper', () => {
  it('hands on an event whose line is split across chunks, once, with its resourceVersion', async () => {
    const object = event({ message: 'déjà vu: a line in three chunks' });
    const line = Buffer.from(frameLine('ADDED', object));
    const { items, cursor, frames } = await read([line.subarray(0, 10), line.subarray(10, line.indexOf('vu') - 1), line.subarray(line.indexOf('vu') - 1)]);
    assert.equal(items.length, 1);
    const item = items[0]!;
    assert.equal(item.kind === 'event' && item.notification, 'ADDED');
    assert.equal(item.kind === 'event' && item.event.message, 'déjà vu: a line in three chunks');
    assert.equal(item.resourceVersion, rvOf(object));
    assert.equal(cursor, rvOf(object));
    assert.equal(frames, 1);
  });

  it('hands on the object as received only when asked to (a stdout classic sink), so its graph can die once normalized', async () => {
    const object = event({ message: 'as received' });
    const kept = await read([frameLine('ADDED', object)]);
    const item = kept.items[0]!;
    assert.deepEqual(item.kind === 'event' && item.raw, object);
    const dropped = await read([frameLine('ADDED', object)], undefined, undefined, false);
    const lean = dropped.items[0]!;
    assert.equal(lean.kind, 'event');
    assert.equal(lean.kind === 'event' && lean.raw, undefined);
    assert.equal(lean.kind === 'event' && lean.event.message, 'as received');
  });

  it('keeps the notification type of MODIFIED and DELETED frames', async () => {
    const modified = event();
    const deleted = event();
    const { items } = await read([frameLine('MODIFIED', modified) + frameLine('DELETED', deleted)]);
    assert.deepEqual(
      items.map((i) => i.kind === 'event' && i.notification),
      ['MODIFIED', 'DELETED'],
    );
  });

  it('turns a bookmark into a cursor item that moves the cursor', async () => {
    const before = event();
    const { items, cursor, metrics } = await read([frameLine('ADDED', before), frameLine('BOOKMARK', { kind: 'Event', metadata: { resourceVersion: '9999' } })]);
    assert.deepEqual(items.at(-1), { kind: 'cursor', resourceVersion: '9999' });
    assert.equal(cursor, '9999');
    assert.equal(await counted(metrics, 'notifications', 'BOOKMARK'), 1);
  });

  it('ends the stream at a 410 ERROR frame with a GoneError, keeping the events before it in the chunk', async () => {
    const before = event();
    const after = event();
    const gone = frameLine('ERROR', status(410, 'Expired', 'too old resource version: 10000 (343914)'));
    const { items, end, chunks, cursor } = await read([frameLine('ADDED', before) + gone + frameLine('ADDED', after), frameLine('ADDED', event())]);
    assert.ok(end instanceof GoneError, `ended with ${String(end)}`);
    assert.deepEqual(eventNames(items), [nameOf(before)]);
    assert.equal(cursor, rvOf(before));
    assert.equal(chunks, 1);
  });

  it('ends the stream at a ResourceVersionTooLarge ERROR frame with an error the source recognises, and counts it', async () => {
    const tooLarge = frameLine('ERROR', status(504, 'Timeout', 'Timeout: Too large resource version: 5000, current: 1200'));
    const { end, metrics } = await read([tooLarge]);
    assert.ok(end instanceof ApiError, `ended with ${String(end)}`);
    assert.equal(end.status, 504);
    assert.equal(isResourceVersionTooLarge(end), true);
    assert.equal(await counted(metrics, 'malformed', 'error-frame-504'), 1);
  });

  it('skips and counts a malformed line, and reads on', async () => {
    const after = event();
    const { items, frames, end, metrics } = await read(['{"type":"ADDED","object":{"kind":"Event",\n', frameLine('ADDED', after)]);
    assert.equal(end, undefined);
    assert.deepEqual(eventNames(items), [nameOf(after)]);
    assert.equal(frames, 2);
    assert.equal(await counted(metrics, 'malformed', 'invalid-json'), 1);
  });

  it('skips and counts an over-long line as one frame, and reads the next line', async () => {
    const after = event();
    const long = `{"type":"ADDED","object":{"message":"${'x'.repeat(5000)}"}}\n`;
    const { items, frames, metrics } = await read([long.slice(0, 2000), long.slice(2000) + frameLine('ADDED', after)], 2048);
    assert.deepEqual(eventNames(items), [nameOf(after)]);
    assert.equal(frames, 2);
    assert.equal(await counted(metrics, 'malformed', 'line-too-long'), 1);
  });

  it('names each dropped frame over 4 MiB on a warn line: namespace, name, uid and resourceVersion from its start', async () => {
    const { logger, entries } = capturingLogger();
    const huge = (name: string) => frameLine('MODIFIED', event({ metadata: { name, namespace: 'team-a', uid: `uid-${name}` }, message: 'x'.repeat(5 * 1024 * 1024) }));
    const first = huge('big-1');
    const second = huge('big-2');
    const after = event();
    // As a socket delivers them: 64 KiB chunks.
    const stream = Buffer.from(first + second + frameLine('ADDED', after));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 65_536) chunks.push(stream.subarray(at, at + 65_536));
    const { items, frames, metrics } = await read(chunks, undefined, logger);
    assert.deepEqual(eventNames(items), [nameOf(after)]);
    assert.equal(frames, 3);
    assert.equal(await counted(metrics, 'malformed', 'line-too-long'), 2);
    const dropped = entries.filter((e) => e['kind'] === 'line-too-long');
    assert.deepEqual(
      dropped.map((e) => [e['level'], e['type'], e['namespace'], e['name'], e['uid'], e['resourceVersion'], e['bytes']]),
      [
        [40, 'MODIFIED', 'team-a', 'big-1', 'uid-big-1', rvOf(JSON.parse(first).object), Buffer.byteLength(first) - 1],
        [40, 'MODIFIED', 'team-a', 'big-2', 'uid-big-2', rvOf(JSON.parse(second).object), Buffer.byteLength(second) - 1],
      ],
    );
  });

  it('still logs and counts a dropped frame whose start names nothing', async () => {
    const { logger, entries } = capturingLogger();
    const { metrics } = await read([`[${'1,'.repeat(3000)}1]\n`], 2048, logger);
    assert.equal(await counted(metrics, 'malformed', 'line-too-long'), 1);
    const dropped = entries.find((e) => e['kind'] === 'line-too-long');
    assert.equal(dropped?.['bytes'], 6003);
    assert.equal(dropped?.['name'], undefined);
  });

  it('skips and counts a frame whose object is not a usable Event', async () => {
    const { items, frames, end, metrics } = await read([frameLine('ADDED', { kind: 'Event', metadata: {} })]);
    assert.equal(end, undefined);
    assert.equal(items.length, 0);
    assert.equal(frames, 1);
    assert.equal(await metricSum(metrics, 'eventrouter_malformed_total'), 1);
  });

  it('does not move the cursor for an event without a resourceVersion', async () => {
    const first = event();
    const { items, cursor } = await read([frameLine('ADDED', first) + frameLine('ADDED', podEvent())]);
    assert.equal(items.length, 2);
    assert.equal(cursor, rvOf(first));
  });

  it('counts every notification it reads by type', async () => {
    const { metrics } = await read([frameLine('ADDED', event()) + frameLine('MODIFIED', event()) + frameLine('ADDED', event())]);
    assert.equal(await counted(metrics, 'notifications', 'ADDED'), 2);
    assert.equal(await counted(metrics, 'notifications', 'MODIFIED'), 1);
  });

  it('never throws, and counts each non-empty line as a frame, whatever the lines and however they are chunked (property)', async () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\n', ' ')),
      fc.json().map((j) => j.replaceAll('\n', ' ')),
      fc.constantFrom(frameLine('ADDED', event()).trim(), frameLine('BOOKMARK', { metadata: { resourceVersion: '7' } }).trim(), '{"type":"ERROR","object":{"code":500}}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), async (lines, cuts) => {
        const data = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const steps = [0, ...points].map((from, i, all) => data.subarray(from, all[i + 1] ?? data.length)).filter((c) => c.length > 0);
        const result = await read(steps);
        // Every line that is not blank is a frame, up to and including an ERROR frame, which ends the stream.
        const texts = lines.map((l) => Buffer.from(l).toString().trim()).filter((t) => t !== '');
        const error = texts.findIndex((t) => parseWatchFrame(t).type === 'ERROR');
        assert.equal(result.frames, error === -1 ? texts.length : error + 1);
        assert.equal(result.end !== undefined, error !== -1);
      }),
      { numRuns: 300 },
    );
  });
});
