import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;

/** The Prometheus module version scripts/e2e-versions.sh pins (the one place that pins it). */
function pinnedVersion(): string | undefined {
  const text = readFileSync(join(REPO, 'scripts', 'e2e-versions.sh'), 'utf8');
  return /^E2E_PROMETHEUS_VERSION=(\S+)/m.exec(text)?.[1];
}

/** promtool: $PROMTOOL, the one scripts/e2e-build builds, or one on the PATH. */
export function findPromtool(): string | undefined {
  const cache = process.env['EVENTROUTER_E2E_CACHE'] ?? join(homedir(), '.cache', 'eventrouter-e2e');
  const candidates = [process.env['PROMTOOL'] ?? '', join(cache, `prometheus-${pinnedVersion()}`, 'bin', 'promtool')];
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir !== '') candidates.push(join(dir, 'promtool'));
  return candidates.find((path) => path !== '' && existsSync(path));
}

export const NO_PROMTOOL = 'no promtool: build it with `scripts/e2e-build promtool` (or set PROMTOOL)';

/**
 * Where promtool is missing: a reason to skip on a developer's machine, but none in CI (CI=true,
 * as .ci/run runs; it builds promtool with scripts/e2e-build), where the alert tests must run.
 */
export function promtoolSkip(promtool: string | undefined): string | false {
  if (promtool !== undefined) return false;
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0' ? false : NO_PROMTOOL;
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs promtool with `args`; the files named in `files` are written to a temporary directory first (args refer to them by name). */
export function runPromtool(promtool: string | undefined, args: string[], files: Record<string, string> = {}): PromtoolResult {
  if (promtool === undefined) throw new Error(`${NO_PROMTOOL} (CI=${process.env['CI']}: required there)`);
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-promtool-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const result = spawnSync(promtool, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
