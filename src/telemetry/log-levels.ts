/**
 * The levels `log.level`, EVENTROUTER_LOG_LEVEL and `--log-level` take (pino's, plus `silent`).
 * One list for the schema and the CLI flag; in a file of its own so that the schema does not
 * load the logger.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Whether `level` is one of {@link LOG_LEVELS}: pino throws a stack trace at anything else. */
export function isLogLevel(level: string): level is (typeof LOG_LEVELS)[number] {
  return (LOG_LEVELS as readonly string[]).includes(level);
}
