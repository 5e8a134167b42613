import { pino, type Logger } from 'pino';

export type { Logger };

/** The router's own logs: JSON lines on stderr (stdout belongs to the stdout sink). */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { name: 'eventrouter' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
