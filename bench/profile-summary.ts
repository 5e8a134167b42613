/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, top N.
 *
 * Usage: node bench/profile-summary.ts FILE.cpuprofile [N] [inclusive]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  selfMs: number;
  percent: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/work\/main\//, '');
  return url === '' ? `(${functionName || 'anonymous'})` : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/**
 * Self time by function (name + file:line), largest first; idle and GC kept as their own rows.
 * With `inclusive`, time with the function anywhere on the stack (counted once per sample).
 */
export function summarise(profile: Profile, top = 25, inclusive = false): { totalMs: number; rows: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (node === undefined) continue;
    total += dt;
    if (!inclusive) {
      const name = frameName(node);
      self.set(name, (self.get(name) ?? 0) + dt);
      continue;
    }
    const names = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) names.add(frameName(byId.get(id) as ProfileNode));
    for (const name of names) self.set(name, (self.get(name) ?? 0) + dt);
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: ms, percent: (100 * ms) / total }));
  return { totalMs: total, rows };
}

export function formatSummary(summary: { totalMs: number; rows: SelfTime[] }): string {
  const lines = [`total sampled: ${summary.totalMs.toFixed(0)} ms`, '| self ms | % | function |', '|---:|---:|---|'];
  for (const row of summary.rows) lines.push(`| ${row.selfMs.toFixed(0)} | ${row.percent.toFixed(1)} | \`${row.name}\` |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const [file, n, mode] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/profile-summary.ts FILE.cpuprofile [N]\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${formatSummary(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(n ?? 25), mode === 'inclusive'))}\n`);
  }
}
