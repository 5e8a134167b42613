// In-process: bytes allocated on the JS heap per event by each step of the watch → OTLP path, on
// 2,000 bench events per measure (young generation large enough that no GC runs inside a measure).
// `node --max-semi-space-size=64 --expose-gc bench/micro/alloc.ts`
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { applyServiceAttributes } from '../../src/enrich/service-attributes.ts';
import { LogRecordEncoder } from '../../src/sinks/otlp/log-record-encoder.ts';
import { INSTRUMENTATION_SCOPE } from '../../src/app/version.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { EventGenerator } from '../lib/event-generator.ts';
import { getHeapStatistics } from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const g = new EventGenerator({ replicas: 8, seed: 'c' });
const N = 2000;
const lines = Array.from({ length: N }, (_, i) => g.watchLine(i, 1000 + i, Date.now()).trimEnd());
const encoder = new LogRecordEncoder(INSTRUMENTATION_SCOPE);
const options = { clusterName: 'bench', clusterUid: 'u', baseResource: {}, maxBodyLength: 32768 };

function measure(name: string, prepare: () => unknown[], step: (input: any) => unknown): unknown[] {
  const inputs = prepare();
  const out: unknown[] = new Array(N);
  for (let round = 0; round < 4; round++) {
    gc!();
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < N; i++) out[i] = step(inputs[i]);
    const after = getHeapStatistics().used_heap_size;
    if (round === 3) console.log(`${name.padEnd(28)} ${((after - before) / N).toFixed(0).padStart(6)} bytes/event`);
  }
  return out;
}
const frames = measure('parseWatchFrame (JSON.parse)', () => lines, (l) => parseWatchFrame(l));
const events = measure('normalizeEvent', () => frames, (f) => normalizeEvent((f as any).object));
const records = measure('mapEvent', () => events, (e) => mapEvent(e as any, 'ADDED', options));
measure('applyServiceAttributes', () => records, (r) => applyServiceAttributes((r as any).resource, undefined));
measure('LogRecordEncoder.encode', () => records, (r) => encoder.encode(r as any));
