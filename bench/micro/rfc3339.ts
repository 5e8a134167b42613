// In-process: ns per call of parseRfc3339 (and parseTimeMillis) against the regular expression + Date.parse it replaced,
// on fresh strings as JSON.parse gives them. `taskset -c 1 node bench/micro/rfc3339.ts`
import { parseRfc3339, parseRfc3339ByDate, parseTimeMillis } from '../../src/model/time.ts';
const old = (value: string | undefined) => (value === undefined ? undefined : parseRfc3339ByDate(value));
// fresh strings each time, as JSON.parse gives them
const N = 2_000_000;
const values = Array.from({ length: 1000 }, (_, i) => JSON.parse(`"2026-12-04T18:${String(i % 60).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}${i % 2 ? '.123456' : ''}Z"`));
for (const [name, f] of [['old', old], ['new', parseRfc3339], ['old', old], ['new', parseRfc3339], ['Date.parse', Date.parse], ['parseTimeMillis', parseTimeMillis]] as const) {
  const t0 = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < N; i++) { const r = (f as (v: string) => unknown)(values[i % 1000]); if (r) sink++; }
  const t = process.cpuUsage(t0);
  console.log(name, (((t.user + t.system) * 1000) / N).toFixed(0), 'ns/call', sink);
}
