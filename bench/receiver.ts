/**
 * The OTLP/HTTP logs receiver of the benchmarks, as its own process (`fork`ed by run.ts).
 * It counts requests, wire bytes and log records (a protobuf wire walk, no decoding), fully
 * decodes one request in 100 with the test receiver's decoder to check what arrives, and in
 * latency mode reads every record's body for the `[bench c=<ms>]` creation stamp.
 *
 * With `{fifo: PATH}` it also makes PATH a named pipe and counts what a peer's file sink writes
 * there (kubernetes-event-exporter's `file` receiver: one JSON event per line) as records: lines,
 * distinct event names (every event, no duplicate counted twice) and lines whose involved object
 * carries labels (the peer's GET of the object worked). A pipe, not a file: a tmpfs file would
 * be charged to the peer's memory cgroup, a disk file's page cache too.
 *
 * IPC in:  {cmd:'latency', on} | {cmd:'waitFor', records} | {cmd:'stats'} | {cmd:'stop'}
 * IPC out: {type:'ready', url} | {type:'reached', at, ...stats} | {type:'stats', ...stats}
 */
import { execFileSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeLogsRequest } from '../test/support/otlp-receiver.ts';
import { walkLogsRequest } from './lib/otlp-wire.ts';

const stats = {
  requests: 0,
  records: 0,
  resources: 0,
  wireBytes: 0,
  rawBytes: 0,
  sampled: 0,
  sampleErrors: 0,
  firstAt: 0,
  lastAt: 0,
  /** Lines read from the named pipe (fifo mode). */
  lines: 0,
  /** Distinct event names among them. */
  distinct: 0,
  /** Lines whose involved object has labels (fifo mode). */
  enriched: 0,
};
const options: { fifo?: string } = JSON.parse(process.argv[2] ?? '{}');
let latencyMode = false;
const latencies: number[] = [];
let waiting: { records: number } | undefined;
const STAMP = /\[bench c=(\d+)\]/;
const EMPTY = Buffer.alloc(0);

const send = (message: unknown) => process.send?.(message);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function snapshot(): Record<string, unknown> {
  const sorted = Float64Array.from(latencies).sort();
  const list = Array.from(sorted);
  return {
    ...stats,
    latency: latencies.length === 0 ? undefined : {
      count: list.length,
      p50: percentile(list, 50),
      p90: percentile(list, 90),
      p99: percentile(list, 99),
      max: list[list.length - 1],
    },
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = Date.now();
    const wire = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
    stats.requests += 1;
    stats.wireBytes += wire.length;
    stats.rawBytes += body.length;
    const summary = walkLogsRequest(
      body,
      latencyMode
        ? (text) => {
            const match = STAMP.exec(text);
            if (match) latencies.push(at - Number(match[1]));
          }
        : undefined,
    );
    stats.records += summary.records;
    stats.resources += summary.resources;
    if (stats.firstAt === 0) stats.firstAt = at;
    stats.lastAt = at;
    if (stats.requests % 100 === 1) {
      // A full decode now and then: the records carry the mapped resource, not just bytes.
      try {
        const decoded = decodeLogsRequest(body, String(req.headers['content-type'] ?? ''));
        const first = decoded[0]?.logs[0];
        if (first === undefined || first.resource['k8s.object.kind'] === undefined || first.eventName !== 'k8s.event') stats.sampleErrors += 1;
        stats.sampled += 1;
      } catch {
        stats.sampleErrors += 1;
      }
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end(EMPTY);
    reached(at);
  });
});
server.keepAliveTimeout = 30_000;

function reached(at: number): void {
  if (waiting !== undefined && stats.records >= waiting.records) {
    waiting = undefined;
    send({ type: 'reached', at, ...snapshot() });
  }
}

if (options.fifo !== undefined) {
  execFileSync('mkfifo', [options.fifo]);
  const names = new Set<string>();
  const NAME = /"metadata":\{"name":"([^"]+)"/;
  // Strings skipped whole: a fieldPath holds braces (spec.containers{app}).
  const ENRICHED = /"involvedObject":\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*"labels":\{/;
  let rest = '';
  // Opened read-write and non-blocking, read through the event loop (a pipe socket): the open
  // does not wait for the peer, the peer closing its end is no end of stream, and no thread of
  // libuv's pool sits in a blocking read that would hold up the process's exit.
  const fd = openSync(options.fifo, constants.O_RDWR | constants.O_NONBLOCK);
  new Socket({ fd, readable: true, writable: false })
    .setEncoding('utf8')
    .on('data', (chunk: string | Buffer) => {
      const text = String(chunk);
      const at = Date.now();
      stats.requests += 1;
      stats.wireBytes += Buffer.byteLength(text);
      stats.rawBytes = stats.wireBytes;
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        stats.lines += 1;
        const name = NAME.exec(line)?.[1];
        if (name !== undefined) names.add(name);
        if (ENRICHED.test(line)) stats.enriched += 1;
      }
      stats.records = stats.lines;
      stats.distinct = names.size;
      if (stats.firstAt === 0) stats.firstAt = at;
      stats.lastAt = at;
      reached(at);
    })
    .on('error', (error) => process.stderr.write(`receiver: ${options.fifo}: ${error.message}\n`));
}
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

process.on('message', (message: { cmd: string; on?: boolean; records?: number }) => {
  switch (message.cmd) {
    case 'latency':
      latencyMode = message.on ?? true;
      latencies.length = 0;
      return;
    case 'waitFor':
      waiting = { records: message.records ?? 0 };
      if (stats.records >= waiting.records) {
        waiting = undefined;
        send({ type: 'reached', at: stats.lastAt, ...snapshot() });
      }
      return;
    case 'stats':
      send({ type: 'stats', ...snapshot() });
      return;
    case 'stop':
      server.closeAllConnections();
      server.close(() => process.exit(0));
      return;
  }
});

send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
