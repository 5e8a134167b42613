// In-process: ns per record of LogRecordEncoder.encode (resource lookup + LogRecord) on 10,000 mapped bench records,
// 10 passes x 8. `taskset -c 1 node bench/micro/encode.ts`
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { applyServiceAttributes } from '../../src/enrich/service-attributes.ts';
import { LogRecordEncoder } from '../../src/sinks/otlp/log-record-encoder.ts';
import { INSTRUMENTATION_SCOPE } from '../../src/app/version.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { EventGenerator } from '../lib/event-generator.ts';
const g = new EventGenerator({ replicas: 8, seed: 'c' });
const N = 10000;
const recs: ReturnType<typeof mapEvent>[] = [];
for (let i = 0; i < N; i++) { const f = parseWatchFrame(g.watchLine(i, 1000 + i, Date.now()).trimEnd()) as any; const r = mapEvent(normalizeEvent(f.object), 'ADDED', { clusterName: 'bench', clusterUid: 'u', baseResource: {}, maxBodyLength: 32768 }); applyServiceAttributes(r.resource, undefined); recs.push(r); }
const encoder = new LogRecordEncoder(INSTRUMENTATION_SCOPE);
const out = [];
for (let k = 0; k < 8; k++) {
  const t0 = process.cpuUsage();
  for (let j = 0; j < 10; j++) for (const r of recs) encoder.encode(r);
  const t = process.cpuUsage(t0);
  out.push(((t.user + t.system) * 1000 / (N * 10)).toFixed(0));
}
console.log(process.argv[2], 'encode ns/record per pass:', out.join(' '));
