import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real CLI, run as users run it: its own process. */
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** A private HOME and working directory for the CLI processes of one test file (no ~/.kube/config). */
export const dir = mkdtempSync(join(tmpdir(), 'eventrouter-cli-'));

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Only PATH and a private HOME: nothing of the caller's Kubernetes or OTLP settings leaks in. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: dir, ...extra };
}

export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function start(args: string[], env: NodeJS.ProcessEnv = baseEnv()): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function run(args: string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  return start(args, env).done;
}

export function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig for a simulated API server (client-node refuses plain http unless TLS verification is off). */
export function writeKubeconfig(name: string, server: string): string {
  return writeConfig(name, [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: sim, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: sim, user: {}}]',
    'contexts: [{name: sim, context: {cluster: sim, user: sim}}]',
    'current-context: sim',
  ].join('\n'));
}
