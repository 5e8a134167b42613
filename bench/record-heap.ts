/**
 * What a record held between the source and the sinks' acknowledgements really costs on the
 * heap, next to what the in-flight budget counts for it (estimateRecordBytes). Each case
 * takes events the way the watch source does (a watch line → parse → normalize → map, the Event
 * object kept for stdout `classic` when asked), holds N records, and reads the heap after a full
 * GC before and after: (after − before) / N. Each case runs in a process of its own (started
 * with --expose-gc), so that what one case left on the heap does not blur the next:
 *
 *   node bench/record-heap.ts
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EVENT_FIXTURES, fixtureEvents } from '../test/support/fixtures.ts';
import { cutRawEvent } from '../src/model/cut-raw-event.ts';
import type { EventRecord } from '../src/model/event-record.ts';
import { mapEvent } from '../src/model/map-event.ts';
import { normalizeEvent } from '../src/model/normalize.ts';
import { estimateRecordBytes } from '../src/pipeline/in-flight-budget.ts';
import { parseWatchFrame } from '../src/source/watch-frame.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const MAX_BODY_LENGTH = 32_768;

const fixtures = EVENT_FIXTURES.flatMap((name) => fixtureEvents(name));

/** Event i of a case, as the API server would write it in a watch line. */
type Make = (i: number) => Record<string, unknown>;

function variant(i: number, message?: string): Record<string, unknown> {
  const base = structuredClone(fixtures[i % fixtures.length] as Record<string, unknown>);
  const metadata = { ...(base['metadata'] as Record<string, unknown>), name: `e${i}`, uid: `uid-${i}` };
  const out: Record<string, unknown> = { ...base, metadata };
  if (message !== undefined) out['note' in base ? 'note' : 'message'] = message;
  return out;
}

const big = (char: string) => (i: number) => variant(i, `${i} ${char.repeat(1024 * 1024)}`);

const CASES: Array<{ name: string; count: number; make: Make; raw: boolean }> = [
  { name: 'real fixture events (messages of ~100 characters)', count: 20_000, make: (i) => variant(i), raw: false },
  { name: 'real fixture events, Event object kept (stdout classic)', count: 20_000, make: (i) => variant(i), raw: true },
  { name: '1 MiB ASCII message, cut to 32,768', count: 300, make: big('m'), raw: false },
  { name: '1 MiB ASCII message, cut, Event object kept (classic)', count: 300, make: big('m'), raw: true },
  { name: '1 MiB message of "é" (Latin-1), cut', count: 300, make: big('é'), raw: false },
  { name: '1 MiB message of "語" (UTF-16 in V8), cut', count: 300, make: big('語'), raw: false },
];

function heap(): number {
  if (gc === undefined) throw new Error('each case runs with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One case, in a process of its own (what an earlier case left on the heap would blur the next). */
function measure(c: (typeof CASES)[number]): { perRecord: number; estimate: number } {
  const held: EventRecord[] = new Array(c.count);
  const before = heap();
  let estimated = 0;
  for (let i = 0; i < c.count; i++) {
    // The line, its parsed object and the whole message are garbage once the record is made.
    const frame = parseWatchFrame(JSON.stringify({ type: 'ADDED', object: c.make(i) }));
    if (frame.type !== 'ADDED') throw new Error(`case ${c.name}: frame ${i} is ${frame.type}`);
    const record = mapEvent(normalizeEvent(frame.object), 'ADDED', { clusterName: 'bench', maxBodyLength: MAX_BODY_LENGTH });
    if (c.raw) record.raw = cutRawEvent(frame.object, MAX_BODY_LENGTH, record.body);
    estimated += estimateRecordBytes(record);
    held[i] = record;
  }
  const perRecord = (heap() - before) / c.count;
  if (held.length !== c.count) throw new Error('lost records');
  return { perRecord, estimate: estimated / c.count };
}

const only = process.argv[2];
if (only !== undefined) {
  process.stdout.write(`${JSON.stringify(measure(CASES[Number(only)] as (typeof CASES)[number]))}\n`);
} else {
  const rows: string[] = ['| case | records | heap per record (measured) | budget estimate | estimate / measured |', '|---|---:|---:|---:|---:|'];
  CASES.forEach((c, k) => {
    const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(k)], { encoding: 'utf8' });
    const { perRecord, estimate } = JSON.parse(out) as { perRecord: number; estimate: number };
    rows.push(`| ${c.name} | ${c.count.toLocaleString('en-US')} | ${(perRecord / 1024).toFixed(1)} KiB | ${(estimate / 1024).toFixed(1)} KiB | ${(estimate / perRecord).toFixed(2)} |`);
  });
  process.stdout.write(`${rows.join('\n')}\n`);
}
