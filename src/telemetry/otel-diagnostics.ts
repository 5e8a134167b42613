import { type DiagLogFunction, type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import type { Logger } from './logger.ts';

function text(message: string, args: unknown[]): string {
  const parts = args.map((arg) => (typeof arg === 'string' ? arg : arg instanceof Error ? arg.message : JSON.stringify(arg)));
  return [message, ...parts].join(' ');
}

/**
 * Sends the OpenTelemetry SDK's own diagnostics to the router's log (warnings and errors): among
 * them a receiver's partial success, the records it accepted the request for but rejected (the
 * OTLP spec forbids retrying them; the sink also counts them as failed, see
 * `sinks/otlp/partial-success.ts`), and a metric collection that failed. Without a logger the SDK drops them.
 */
export function logOtelDiagnostics(logger: Logger): void {
  const log = logger.child({ component: 'opentelemetry' });
  const at = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace'): DiagLogFunction => (message, ...args) => log[level](text(message, args));
  const adapter: DiagLogger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), verbose: at('trace') };
  diag.setLogger(adapter, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
