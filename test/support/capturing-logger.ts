import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/telemetry/logger.ts';

/** A logger whose JSON lines are kept, parsed, in `entries`. */
export function capturingLogger(): { logger: Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) entries.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), entries };
}
