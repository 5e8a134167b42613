import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The node flags the image starts the router with, read from the Dockerfile's ENTRYPOINT, so
 * that the bench and the memory tests measure what ships.
 */
export function imageNodeFlags(root = ROOT): string[] {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (entry === undefined) throw new Error('Dockerfile: no ENTRYPOINT in exec form');
  const argv = JSON.parse(entry) as string[];
  return argv.slice(1).filter((a) => a.startsWith('--'));
}

/** The environment the image sets for the router (the ENV lines of the Dockerfile's last stage). */
export function imageEnv(root = ROOT): Record<string, string> {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.fromEntries([...runtime.matchAll(/^ENV\s+(\w+)=(\S+)\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

/** Builds the production bundle (`npm run build`, scripts/build.ts) into `outdir`; returns its entry point. */
export function buildBundle(outdir: string, root = ROOT): string {
  execFileSync(process.execPath, [join(root, 'scripts/build.ts'), '--root', root, '--outdir', outdir], { cwd: root, stdio: 'pipe' });
  return join(outdir, 'eventrouter.js');
}
