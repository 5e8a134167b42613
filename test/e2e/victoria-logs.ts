/**
 * VictoriaLogs for the end-to-end suite (built by scripts/e2e-build, path in
 * $EVENTROUTER_E2E_VICTORIALOGS): start it on a loopback port with a data directory that
 * survives restarts, and query it over its HTTP API (LogsQL).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { httpReady, type Peer, startPeer } from './peer-process.ts';

export function victoriaLogsBin(): string {
  const bin = process.env['EVENTROUTER_E2E_VICTORIALOGS'];
  if (!bin || !existsSync(bin)) {
    throw new Error(`EVENTROUTER_E2E_VICTORIALOGS=${bin ?? ''} is not a built VictoriaLogs (run scripts/e2e-build, then eval "$(scripts/e2e-cluster env)")`);
  }
  return bin;
}

/** Starts (or restarts, on the same port and data) VictoriaLogs; ready once /health answers. */
export function startVictoriaLogs(dir: string, port: number): Promise<Peer> {
  return startPeer({
    name: 'victoria-logs',
    bin: victoriaLogsBin(),
    args: [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'victoria-logs-data')}`, '-retentionPeriod=7d', '-loggerLevel=WARN'],
    dir,
    ready: httpReady(`http://127.0.0.1:${port}/health`),
  });
}

/** One matching log entry: its fields as strings (VictoriaLogs stores every value as text). */
export type LogEntry = Record<string, string>;

/** `/select/logsql/query`: every entry matching `query` within [start, end) when given. */
export async function queryLogs(base: string, query: string, range: { start?: string; end?: string } = {}): Promise<LogEntry[]> {
  const form = new URLSearchParams({ query });
  if (range.start) form.set('start', range.start);
  if (range.end) form.set('end', range.end);
  const res = await fetch(`${base}/select/logsql/query`, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`LogsQL ${query}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry);
}
