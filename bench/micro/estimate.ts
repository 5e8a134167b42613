// In-process: ns per record of estimateRecordBytes (the in-flight budget's per-record walk) over 20,000 mapped bench
// records. `taskset -c 1 node bench/micro/estimate.ts`
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { applyServiceAttributes } from '../../src/enrich/service-attributes.ts';
import { estimateRecordBytes } from '../../src/pipeline/in-flight-budget.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { EventGenerator } from '../lib/event-generator.ts';
const g = new EventGenerator({ replicas: 8, seed: 'c' });
const N = 20000;
const recs: ReturnType<typeof mapEvent>[] = [];
for (let i = 0; i < N; i++) { const f = parseWatchFrame(g.watchLine(i, 1000 + i, Date.now()).trimEnd()) as any; const r = mapEvent(normalizeEvent(f.object), 'ADDED', { clusterName: 'bench', clusterUid: 'u', baseResource: {}, maxBodyLength: 32768 }); applyServiceAttributes(r.resource, undefined); recs.push(r); }
for (let k = 0; k < 3; k++) {
  const t0 = process.cpuUsage(); let s = 0;
  for (let j = 0; j < 20; j++) for (const r of recs) s += estimateRecordBytes(r);
  const t = process.cpuUsage(t0); console.log('estimateRecordBytes', ((t.user + t.system) * 1000 / (N * 20)).toFixed(0), 'ns/record', s / (N*20));
}
