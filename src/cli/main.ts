#!/usr/bin/env node
// The entry point loads nothing heavy before the signal handlers are in place (see signals.ts).
import { installSignalHandlers, onSignal } from './signals.ts';

installSignalHandlers();
if (process.env['EVENTROUTER_LOG_LEVEL'] === 'trace') {
  // The logger is not loaded yet; this one line keeps the log format.
  process.stderr.write(`${JSON.stringify({ level: 10, time: new Date().toISOString(), name: 'eventrouter', msg: 'signal handlers installed' })}\n`);
}
const { main } = await import('./cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A failed start may leave a socket or timer of a half-started part behind: nothing more is
// coming, so exit now (stderr and the logger write synchronously). On success the process
// ends by itself; a signal meanwhile is not swallowed by the handlers installed above.
if (code !== 0) process.exit(code);
onSignal(() => process.exit(code));
