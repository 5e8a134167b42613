import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPinnedTool, IN_CI, skipUnlessPresent } from '../deploy/pinned-tool.ts';

/** promtool: $PROMTOOL, the one `scripts/e2e-build promtool` builds (E2E_PROMTOOL_VERSION), or one on the PATH. */
export function findPromtool(): string | undefined {
  return findPinnedTool('promtool', 'E2E_PROMTOOL_VERSION', 'PROMTOOL');
}

export const NO_PROMTOOL = 'no promtool: build it with `scripts/e2e-build promtool` (or set PROMTOOL)';

/** The `skip` option of a suite that runs promtool: a reason outside CI; in CI (.ci/run builds it) its tests fail instead. */
export function promtoolSkip(promtool: string | undefined): string | false {
  return skipUnlessPresent(promtool, NO_PROMTOOL);
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs promtool with `args` in a temporary directory holding `files` (args refer to them by name). */
export function runPromtool(promtool: string | undefined, args: string[], files: Record<string, string> = {}): PromtoolResult {
  if (promtool === undefined) throw new Error(`${NO_PROMTOOL}${IN_CI ? ' (required in CI)' : ''}`);
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
