/**
 * The production bundle run as the image runs it (test/deploy/image.ts: scripts/build.ts's dist/
 * in an /app of its own, the ENTRYPOINT's node flags, the runtime ENV), inside a 128 MiB memory
 * cgroup like the shipped pod limit, against a simulated API server. For hostile-input tests
 * whose failure is an abort or an OOM kill, which only shows under the real limit and flags.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CgroupReport, MemoryCgroup, memoryCgroupUnavailable } from '../../bench/lib/memory-cgroup.ts';
import { type EmulatedImage, emulateImage } from '../deploy/image.ts';

/** The pod limit the deploy manifests set. */
export const POD_LIMIT_MB = 128;

export interface RouterExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  cgroup: CgroupReport | undefined;
}

export interface RouterInCgroup {
  child: ChildProcess;
  /** Settles when the process exited, with the cgroup's figures. */
  done: Promise<RouterExit>;
  /** The exit, once it happened (a wait that sees it fails at once instead of at its bound). */
  exited: () => RouterExit | undefined;
  /** Everything written to stderr so far (the router's log). */
  stderr: () => string;
  /** SIGTERM, then the exit (SIGKILL after `graceMs`). */
  stop: (graceMs?: number) => Promise<RouterExit>;
}

/** Why these tests cannot run here (no writable v1 memory controller), or undefined. */
export function cgroupUnavailable(): string | undefined {
  return memoryCgroupUnavailable();
}

/** A work directory with the emulated image in it; `cleanup` removes both. */
export function prepareImage(): { work: string; image: EmulatedImage; cleanup: () => void } {
  const work = mkdtempSync(join(tmpdir(), 'eventrouter-cgroup-'));
  return { work, image: emulateImage(work), cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

let runs = 0;

/**
 * Starts the bundle against `apiUrl` with `config` (JSON, written as the config file) inside a
 * fresh {@link POD_LIMIT_MB} MiB cgroup. The caller stops it.
 */
export function startRouterInCgroup(work: string, image: EmulatedImage, apiUrl: string, config: Record<string, unknown>, env: Record<string, string> = {}): RouterInCgroup {
  runs += 1;
  const kubeconfig = join(work, `kubeconfig-${runs}`);
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: sim, cluster: {server: "${apiUrl}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: sim, user: {}}]',
      'contexts: [{name: sim, context: {cluster: sim, user: sim}}]',
      'current-context: sim',
    ].join('\n'),
  );
  const configFile = join(work, `config-${runs}.yaml`);
  writeFileSync(configFile, JSON.stringify(config));
  const cgroup = new MemoryCgroup(`hostile-${runs}`, POD_LIMIT_MB);
  const argv = cgroup.wrap([process.execPath, ...image.flags, image.entry, '--config', configFile]);
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: image.app,
    env: { PATH: process.env['PATH'] ?? '', HOME: work, ...image.env, KUBECONFIG: kubeconfig, EVENTROUTER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // The tail is what tells an abort; a long run must not grow the test's own memory.
    if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
  });
  let exit: RouterExit | undefined;
  const done = new Promise<RouterExit>((resolve) =>
    child.on('close', (code, signal) => {
      let report: CgroupReport | undefined;
      try {
        report = cgroup.report();
      } catch {}
      cgroup.remove();
      exit = { code, signal, stderr, cgroup: report };
      resolve(exit);
    }),
  );
  const stop = async (graceMs = 20_000): Promise<RouterExit> => {
    if (exit !== undefined) return exit;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, done, exited: () => exit, stderr: () => stderr, stop };
}

/** One line for a failure message or the log: how the run ended and what the cgroup saw. */
export function describeExit(exit: RouterExit | undefined): string {
  if (exit === undefined) return 'still running';
  const c = exit.cgroup;
  const figures = c === undefined ? '' : `, cgroup peak ${c.peakMb.toFixed(1)} MiB of ${c.limitMb}, ${c.oomKills} OOM kills`;
  return `exit ${exit.code ?? exit.signal}${figures}; stderr tail:\n${exit.stderr.slice(-2000)}`;
}

/** For a wait's predicate: throws at once, with `what` and the exit, once the router has exited. */
export function failIfExited(router: RouterInCgroup, what: string): void {
  if (router.exited() !== undefined) throw new Error(`${what}: ${describeExit(router.exited())}`);
}

/** The run ended as a stop should end it: exit code 0, and the kernel killed nothing for memory. */
export function assertCleanExit(exit: RouterExit | undefined): void {
  assert.equal(exit?.code, 0, describeExit(exit));
  assert.equal(exit?.cgroup?.oomKills ?? 0, 0, describeExit(exit));
}
