// In-process: ns per record of the two lru-cache lookups on the hot path (the occurrence tracker by uid; the OTLP
// encoder's resource cache by resourceKey), over 60,000 mapped bench records. `taskset -c 1 node bench/micro/lookups.ts`
import { LRUCache } from 'lru-cache';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { applyServiceAttributes } from '../../src/enrich/service-attributes.ts';
import { resourceKey } from '../../src/sinks/otlp/resource-grouping.ts';
import { LogRecordEncoder } from '../../src/sinks/otlp/log-record-encoder.ts';
import { INSTRUMENTATION_SCOPE } from '../../src/app/version.ts';
import { parseWatchFrame } from '../../src/source/watch-frame.ts';
import { EventGenerator } from '../lib/event-generator.ts';
const g = new EventGenerator({ replicas: 8, seed: 'c' });
const N = 60000;
const recs: ReturnType<typeof mapEvent>[] = [];
for (let i = 0; i < N; i++) { const f = parseWatchFrame(g.watchLine(i, 1000 + i, Date.now()).trimEnd()) as any; const r = mapEvent(normalizeEvent(f.object), 'ADDED', { clusterName: 'bench', clusterUid: 'u', baseResource: {}, maxBodyLength: 32768 }); applyServiceAttributes(r.resource, undefined); recs.push(r); }
const time = (name: string, f: () => void) => { const t0 = process.cpuUsage(); f(); const t = process.cpuUsage(t0); console.log(name, ((t.user + t.system) * 1000 / N).toFixed(0), 'ns/record'); };
for (let k = 0; k < 3; k++) {
  const uids = recs.map((r) => JSON.parse(JSON.stringify(r.event.uid)) as string);
  const tracker = new LRUCache<string, { count: number; lastSeen: number }>({ max: 20000 });
  time('tracker lru get+set (fresh uid)', () => { for (const u of uids) { if (tracker.get(u) === undefined) tracker.set(u, { count: 1, lastSeen: 0 }); } });
  const m = new Map<string, object>();
  const uids2 = recs.map((r) => JSON.parse(JSON.stringify(r.event.uid)) as string);
  time('plain Map get+set (fresh uid)', () => { for (const u of uids2) { if (m.get(u) === undefined) m.set(u, { count: 1 }); } });
  const res = new LRUCache<string, object>({ max: 2048 });
  time('resourceKey only', () => { for (const r of recs) resourceKey(r.resource); });
  const encoder = new LogRecordEncoder(INSTRUMENTATION_SCOPE);
  time('LogRecordEncoder.encode (resource lookup + LogRecord)', () => { for (const r of recs) encoder.encode(r); });
  time('resourceKey + lru get/set', () => { for (const r of recs) { const key = resourceKey(r.resource); if (res.get(key) === undefined) res.set(key, { key }); } });
}
