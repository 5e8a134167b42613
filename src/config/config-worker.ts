/**
 * Worker thread entry of {@link loadConfigIsolated}: loads and validates the config file and
 * posts the result back. Everything it imports (the schema library, the YAML parser) lives and
 * dies with the worker's V8 isolate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '../config-kit/config-error.ts';
import { loadConfig } from './load-config.ts';

const { path, env } = workerData as { path: string | undefined; env: NodeJS.ProcessEnv };
try {
  parentPort?.postMessage({ ok: true, config: loadConfig(path, env) });
} catch (error) {
  parentPort?.postMessage(
    error instanceof ConfigError
      ? { ok: false, problems: error.problems, source: path }
      : { ok: false, message: (error as Error).message },
  );
}
