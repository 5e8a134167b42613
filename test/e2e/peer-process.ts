/**
 * Peers that a test starts, stops and restarts itself (a Collector with its own config,
 * VictoriaLogs), unlike the shared ones of `scripts/e2e-cluster`: loopback ports picked free,
 * output kept in a log file beside the test's scratch files, killed when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './support.ts';

export { freePort } from '../support/free-port.ts';

export interface PeerOptions {
  name: string;
  bin: string;
  args: string[];
  /** Directory for `<name>.log` (appended across restarts) and the working directory. */
  dir: string;
  env?: Record<string, string>;
  /** True once the peer serves (e.g. its health endpoint answers 200). */
  ready: () => Promise<boolean>;
  /** Bound on the start-up wait. */
  startTimeoutMs?: number;
}

export interface Peer {
  readonly options: PeerOptions;
  readonly child: ChildProcess;
  /** What the peer printed since this start. */
  readonly output: string;
  /** Sends `signal`, waits (bounded) for the exit, KILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the peer and waits until `ready()`; throws with its output if it exits or never gets ready. */
export async function startPeer(options: PeerOptions): Promise<Peer> {
  const logFile = join(options.dir, `${options.name}.log`);
  appendFileSync(logFile, `--- start ${new Date().toISOString()}: ${options.bin} ${options.args.join(' ')}\n`);
  const child = spawn(options.bin, options.args, {
    cwd: options.dir,
    env: { PATH: process.env['PATH'], HOME: options.dir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const onData = (d: Buffer) => {
    output += d;
    appendFileSync(logFile, d);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      running.delete(child);
      resolve();
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const peer: Peer = {
    options,
    child,
    get output() {
      return output;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
      if (alive()) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await waitFor(
      async () => {
        if (!alive()) throw new Error(`${options.name} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${output.slice(-3000)}`);
        return options.ready().catch(() => false);
      },
      `${options.name} to be ready`,
      options.startTimeoutMs ?? 60_000,
      () => output.slice(-3000),
    );
  } catch (error) {
    await peer.stop('SIGKILL');
    throw error;
  }
  return peer;
}

/** `ready` for an HTTP endpoint that answers 2xx once the peer serves. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
}
