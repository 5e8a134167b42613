#!/usr/bin/env node
// The entry point loads nothing heavy before the signal handlers are in place (see signals.ts).
import { installSignalHandlers } from './signals.ts';

installSignalHandlers();
if (process.env['EVENTROUTER_LOG_LEVEL'] === 'trace') {
  // The logger is not loaded yet; this one line keeps the log format.
  process.stderr.write(`${JSON.stringify({ level: 10, time: new Date().toISOString(), name: 'eventrouter', msg: 'signal handlers installed' })}\n`);
}
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
