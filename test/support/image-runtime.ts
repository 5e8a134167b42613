import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The node flags of the Dockerfile's ENTRYPOINT (exec form), so a test runs the router as the image does. */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (entry === undefined) throw new Error('Dockerfile: no ENTRYPOINT in exec form');
  return (JSON.parse(entry) as string[]).slice(1).filter((a) => a.startsWith('--'));
}

/** The ENV lines of the Dockerfile's last stage (MALLOC_ARENA_MAX, NODE_ENV). */
export function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.fromEntries([...runtime.matchAll(/^ENV\s+(\w+)=(\S+)\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

/** Builds the production bundle (`npm run build`'s scripts/build.ts) into a fresh directory; returns its entry point. */
export function buildBundle(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'eventrouter-bundle-')), 'dist');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts'), '--outdir', out], { cwd: ROOT, stdio: 'pipe' });
  return join(out, 'eventrouter.js');
}
