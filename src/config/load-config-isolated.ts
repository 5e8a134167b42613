import { Worker } from 'node:worker_threads';
import { ConfigError } from '../config-kit/config-error.ts';
import type { Config } from './schema.ts';

type Answer = { ok: true; config: Config } | { ok: false; problems: string[]; source?: string } | { ok: false; message: string };

/**
 * {@link loadConfig} in a short-lived worker thread. Validation needs a schema library and a
 * YAML parser that cost ~15 MB of the main isolate for as long as the process lives, to be
 * used once at start-up; the worker's isolate is freed when it exits (bench/README.md, "At
 * rest"). The validated config is plain data, passed back by structured clone.
 */
export function loadConfigIsolated(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl(), { workerData: { path, env: { ...env } } });
    let answered = false;
    worker.once('message', (answer: Answer) => {
      answered = true;
      if (answer.ok) resolve(answer.config);
      else if ('problems' in answer) reject(new ConfigError(answer.problems, answer.source));
      else reject(new Error(answer.message));
    });
    worker.once('error', (error) => reject(error));
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the config loader exited (${code}) without an answer`));
    });
  });
}

/** The worker's entry: beside this file in src/, at the root of dist/ in the bundle (scripts/build.ts). */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./config-worker.ts', here);
  return new URL(here.includes('/chunks/') ? '../config-worker.js' : './config-worker.js', here);
}
