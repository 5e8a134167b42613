import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { App } from '../app/app.ts';
import { INSTRUMENTATION_SCOPE, VERSION } from '../app/version.ts';
import { ConfigError } from '../config-kit/config-error.ts';
import { NO_OTLP_ENV, readOtlpEnv } from '../sinks/otlp/otlp-env.ts';
import { withOtlpTargets } from '../sinks/otlp/otlp-target.ts';
import { loadConfigIsolated } from '../config/load-config-isolated.ts';
import { redactConfig } from '../config/redact.ts';
import type { Config } from '../config/schema.ts';
import { KubeClient } from '../kube/kube-client.ts';
import { StdoutSink } from '../sinks/stdout/stdout-sink.ts';
import { createSinks } from '../sinks/sink-factory.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { LOG_LEVELS, isLogLevel } from '../telemetry/log-levels.ts';
import { logOtelDiagnostics } from '../telemetry/otel-diagnostics.ts';
import { parseDuration } from '../util/duration.ts';
import { formatSinkOutcomes } from './sink-summary.ts';
import { type ReplayOutcome, replayDump, replaySucceeded } from '../app/replay.ts';
import { describeStartupFailure } from './startup-failure.ts';
import { nextSignal, onSignal } from './signals.ts';

const HELP = `eventrouter ${VERSION} — Kubernetes Events as OpenTelemetry logs over OTLP

Usage:
  eventrouter [run] [--config FILE]     watch the cluster's Events and export them
  eventrouter demo [--duration 30s]     run the real pipeline against a simulated cluster
  eventrouter replay FILE [--config FILE]
                                        send a 'kubectl get events -o json|yaml' dump through the sinks
  eventrouter config check [--config FILE]  validate a config file and print the effective config
  eventrouter config schema             print the config's JSON Schema (for editors)
  eventrouter config reference          print the configuration reference (Markdown)

Options:
  -c, --config FILE    YAML config (default: $EVENTROUTER_CONFIG; none: built-in defaults)
      --duration D     demo: stop after D (e.g. 30s, 2m); default: until Ctrl-C
      --interval D     demo: time between simulated cluster steps (default 1s)
      --log-level L    trace|debug|info|warn|error|fatal|silent (default: config log.level, demo: warn)
  -h, --help           this help
  -v, --version        the version

Kubernetes access: in-cluster service account, else $KUBECONFIG or ~/.kube/config.
OTLP: the standard OTEL_EXPORTER_OTLP_* variables configure the default OTLP sink.
Exit codes: 0 done, 1 runtime failure, 2 invalid configuration or usage.`;

class UsageError extends Error {}

function write(text: string): void {
  writeSync(1, `${text}\n`);
}

function fail(text: string): void {
  writeSync(2, `${text}\n`);
}

/** Resolves when SIGTERM or SIGINT arrives (or arrived during start-up); a second one exits at once. */
function untilSignal(logger: Logger): Promise<string> {
  return nextSignal().then((signal) => {
    logger.info({ signal }, 'shutting down');
    onSignal(() => process.exit(1));
    return signal;
  });
}

/**
 * Starts `app`; when it cannot start, prints one line saying why and returns the exit code
 * (the app has released what did start; main.ts exits even if something lingers).
 */
async function startOrExplain(app: App): Promise<number | undefined> {
  try {
    await app.start();
    return undefined;
  } catch (error) {
    const { line, exitCode } = describeStartupFailure(error);
    fail(`eventrouter: ${line}`);
    return exitCode;
  }
}

async function run(config: Config, logger: Logger): Promise<number> {
  let client: KubeClient;
  try {
    client = KubeClient.fromEnvironment();
  } catch (error) {
    fail(`eventrouter: ${(error as Error).message}`);
    return 1;
  }
  const app = new App({ config, client, logger });
  app.metrics.withProcessMetrics();
  // Listen before starting: a SIGTERM during start-up is honoured once the start completes.
  const stopping = untilSignal(logger);
  const failed = await startOrExplain(app);
  if (failed !== undefined) return failed;
  await stopping;
  // Exit 0 even when the deadline cut the drain short: the checkpoint covers exactly what was
  // acknowledged, so the next start re-sends the rest.
  await app.stop();
  return 0;
}

function buildSinks(config: Config) {
  return createSinks(config.sinks ?? [], { scope: INSTRUMENTATION_SCOPE, env: process.env });
}

/** With no sinks configured: OTLP if an endpoint is set in the environment, else the given fallback only. */
function hasOtlpEnv(env: NodeJS.ProcessEnv): boolean {
  const otlp = readOtlpEnv(env);
  return otlp.endpoint !== undefined || otlp.logsEndpoint !== undefined;
}

async function demo(config: Config, configured: boolean, logger: Logger, durationMs: number | undefined, intervalMs: number): Promise<number> {
  // Loaded here only: `run` never pays for the simulated cluster.
  const [{ FakeApiServer }, { ClusterSimulator }, { LiveViewSink }, { LocalOtlpReceivers }] = await Promise.all([
    import('../sim/fake-api-server.ts'),
    import('../sim/cluster-simulator.ts'),
    import('../sim/live-view-sink.ts'),
    import('../sim/local-otlp-receivers.ts'),
  ]);
  // Like a real API server: etcd compacts every 5 minutes, events expire after an hour.
  const api = new FakeApiServer({ autoCompactMs: 300_000, eventTtlMs: 3_600_000 });
  const url = await api.start();
  const simulator = new ClusterSimulator(api);
  simulator.setup();
  const live = new LiveViewSink();
  const exportToOtlp = configured || hasOtlpEnv(process.env);
  const demoConfig: Config = { ...config, checkpoint: { ...config.checkpoint, store: 'none' }, server: { ...config.server, listen: configured ? config.server.listen : '' } };
  // An example config's sinks point at local Collectors; where none listens, a stand-in does.
  const receivers = new LocalOtlpReceivers();
  if (exportToOtlp) await receivers.start(config.sinks ?? []);
  const sinks = exportToOtlp ? buildSinks(config) : [];
  const app = new App({ config: demoConfig, client: KubeClient.fromServer(url), logger, sinks, extraSinks: [live] });
  write(`eventrouter ${VERSION} demo: simulated cluster at ${url}; exporting to ${exportToOtlp ? (config.sinks ?? []).map((s) => `${s.type}/${s.name}`).join(', ') + ' and ' : ''}this terminal. Ctrl-C to stop.`);
  for (const r of receivers.receivers) write(`  nothing listened at ${r.endpoint} (sink ${r.sink}): the demo answers there as a stand-in Collector that keeps nothing.`);
  write('');
  const stopAll = async () => {
    simulator.stop();
    await app.stop(10_000);
    await api.stop();
    await receivers.stop();
  };
  const failed = await startOrExplain(app);
  if (failed !== undefined) {
    await stopAll().catch(() => undefined);
    return failed;
  }
  simulator.start(intervalMs);
  const stop = durationMs === undefined ? untilSignal(logger) : Promise.race([untilSignal(logger), new Promise((r) => setTimeout(r, durationMs))]);
  await stop;
  await stopAll();
  write(`\n${live.count} records exported from ${api.count('/api/v1/events')} simulated events.`);
  // The demo shows what happened, sink by sink; an unreachable sink is part of the show, not a
  // failure of the run (replay, which exists to deliver, exits 1 then).
  // The configured sinks come first, then the terminal's live view, which is not summed up.
  for (const line of formatSinkOutcomes(app.sinkResults().slice(0, sinks.length))) write(line);
  return 0;
}

async function replay(file: string, config: Config, configured: boolean, logger: Logger): Promise<number> {
  let objects: unknown[];
  try {
    // Loaded here only: the YAML parser stays out of a running router's memory.
    const { readEventDump } = await import('./read-dump.ts');
    objects = readEventDump(file);
  } catch (error) {
    fail(`eventrouter: cannot replay ${file}: ${(error as Error).message}`);
    return 2;
  }
  const fromConfig = configured || hasOtlpEnv(process.env);
  // Without a config, to this terminal: the stdout sink with the defaults of a sink not configured.
  const sinks = fromConfig ? buildSinks(config) : [new StdoutSink({ name: 'stdout' })];
  let outcome: ReplayOutcome;
  try {
    outcome = await replayDump({ config: fromConfig ? config : { ...config, sinks: [] }, objects, sinks, logger });
  } catch (error) {
    const { line, exitCode } = describeStartupFailure(error);
    fail(`eventrouter: ${line}`);
    return exitCode;
  }
  const { accepted, malformed, drained, sinks: outcomes } = outcome;
  logger.info({ file, accepted, malformed, drained, outcomes }, 'replay finished');
  fail(`eventrouter: replay of ${file}: ${accepted} events read${malformed ? `, ${malformed} malformed objects skipped` : ''}`);
  for (const line of formatSinkOutcomes(outcomes)) fail(line);
  // Non-zero unless every event reached every sink it was routed to.
  return replaySucceeded(outcome) ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        duration: { type: 'string' },
        interval: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    fail(`eventrouter: ${(error as Error).message}\nRun 'eventrouter --help' for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    write(HELP);
    return 0;
  }
  if (values.version) {
    write(VERSION);
    return 0;
  }
  const [command = 'run', ...rest] = positionals;
  const configPath = values.config ?? (process.env['EVENTROUTER_CONFIG'] || undefined);
  try {
    if (command === 'config' && rest[0] === 'schema') {
      const { configJsonSchema } = await import('../config/json-schema.ts');
      write(JSON.stringify(configJsonSchema(), null, 2));
      return 0;
    }
    if (command === 'config' && rest[0] === 'reference') {
      const { configReferenceMarkdown } = await import('../config/json-schema.ts');
      write(configReferenceMarkdown());
      return 0;
    }
    const flagLevel = values['log-level'];
    if (flagLevel !== undefined && !isLogLevel(flagLevel)) throw new UsageError(`--log-level: "${flagLevel}" is not a log level; use one of ${LOG_LEVELS.join('|')}`);
    const config = await loadConfigIsolated(configPath);
    const level = values['log-level'] ?? (command === 'demo' && !configPath ? 'warn' : config.log.level);
    const logger = createLogger(level);
    logOtelDiagnostics(logger);
    switch (command) {
      case 'run':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await run(config, logger);
      case 'demo': {
        const durationMs = values.duration === undefined ? undefined : parseDuration(values.duration);
        if (values.duration !== undefined && durationMs === undefined) throw new UsageError(`--duration: invalid duration "${values.duration}"`);
        const intervalMs = values.interval === undefined ? 1000 : parseDuration(values.interval);
        if (intervalMs === undefined || intervalMs <= 0) throw new UsageError(`--interval: invalid duration "${values.interval}"`);
        return await demo(config, configPath !== undefined, logger, durationMs, intervalMs);
      }
      case 'replay':
        if (rest[0] === undefined) throw new UsageError('replay needs a FILE');
        return await replay(rest[0], config, configPath !== undefined, logger);
      case 'config': {
        if (rest[0] !== 'check') throw new UsageError(`unknown config sub-command "${rest[0] ?? ''}" (check | schema | reference)`);
        // Loaded here only: it reads the JSON Schema, which `run` never needs.
        const { printableConfig } = await import('../config/printable-config.ts');
        // Durations in the form they are written in (the output reads back); secrets redacted;
        // each OTLP sink as it will send, the OTEL_EXPORTER_OTLP_* variables applied.
        write(JSON.stringify(redactConfig(printableConfig(withOtlpTargets(config, readOtlpEnv(process.env), NO_OTLP_ENV))), null, 2));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(`eventrouter: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      fail(`eventrouter: ${error.message}\nRun 'eventrouter --help' for usage.`);
      return 2;
    }
    fail(`eventrouter: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

