/**
 * The in-process ceiling: the router's per-event work with no I/O — watch lines parsed
 * (`parseWatchFrame`, i.e. JSON.parse), normalized, mapped (with the `service.*` rules, as the
 * router applies them by default), and encoded to OTLP protobuf as the OTLP sink does: each
 * record's `LogRecord` when it is queued (`LogRecordEncoder.encode`), a request per 1000 by
 * concatenation. `{"sdk":true}` serialises with the SDK's `toReadableLogRecords` +
 * `ProtobufLogsSerializer` instead (the sink's path before records were encoded at enqueue).
 * Run pinned to one core by run.ts; prints one JSON line.
 *
 * Usage: node bench/ceiling.ts '{"events":200000}'
 */
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { INSTRUMENTATION_SCOPE } from '../src/app/version.ts';
import { applyServiceAttributes } from '../src/enrich/service-attributes.ts';
import type { EventRecord } from '../src/model/event-record.ts';
import { mapEvent } from '../src/model/map-event.ts';
import { normalizeEvent } from '../src/model/normalize.ts';
import { type EncodedLogRecord, LogRecordEncoder } from '../src/sinks/otlp/log-record-encoder.ts';
import { toReadableLogRecords } from '../src/sinks/otlp/resource-grouping.ts';
import { parseWatchFrame } from '../src/source/watch-frame.ts';
import { EventGenerator } from './lib/event-generator.ts';

const { events = 200_000, batch = 1000, sdk = false } = JSON.parse(process.argv[2] ?? '{}') as { events?: number; batch?: number; sdk?: boolean };
const encoder = new LogRecordEncoder(INSTRUMENTATION_SCOPE);
const generator = new EventGenerator({ replicas: 8, seed: 'c' });
const now = Date.now();
const lines: string[] = new Array(events);
for (let i = 0; i < events; i++) lines[i] = generator.watchLine(i, 1000 + i, now).trimEnd();
const mapOptions = { clusterName: 'bench', clusterUid: 'cluster-uid', baseResource: {}, maxBodyLength: 32_768 };

function pass(count: number): { bytes: number } {
  let bytes = 0;
  let records: EventRecord[] = [];
  let encoded: EncodedLogRecord[] = [];
  const flush = () => {
    if (sdk) bytes += ProtobufLogsSerializer.serializeRequest(toReadableLogRecords(records, INSTRUMENTATION_SCOPE))?.length ?? 0;
    else bytes += encoder.request(encoded).length;
    records = [];
    encoded = [];
  };
  for (let i = 0; i < count; i++) {
    const frame = parseWatchFrame(lines[i] as string);
    if (frame.type !== 'ADDED') throw new Error(`unexpected frame ${frame.type}`);
    const record = mapEvent(normalizeEvent(frame.object), 'ADDED', mapOptions);
    applyServiceAttributes(record.resource, undefined);
    if (sdk) records.push(record);
    else encoded.push(encoder.encode(record));
    if (records.length + encoded.length === batch) flush();
  }
  if (records.length + encoded.length > 0) flush();
  return { bytes };
}

pass(Math.min(events, 20_000)); // warm-up: let the JIT settle
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { bytes } = pass(events);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuUs = cpu.user + cpu.system;
process.stdout.write(
  `${JSON.stringify({ events, wallMs, cpuUs, eventsPerSec: events / (wallMs / 1000), eventsPerCpuSec: events / (cpuUs / 1e6), cpuUsPerEvent: cpuUs / events, protobufBytesPerEvent: bytes / events })}\n`,
);
