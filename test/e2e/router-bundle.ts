/**
 * The router the e2e suite runs is the one that ships: the production bundle, alone in an /app
 * of its own as the image has it (no node_modules/ reachable), started with the Dockerfile's
 * ENTRYPOINT flags and ENV (test/deploy/image.ts). It is built once per state of its inputs and
 * kept under the cluster's state dir, so a suite run builds at most once and an edit to src/
 * (or to the build, or the dependencies) is never tested against a stale bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { emulateImage, ROOT, runtimeStage } from '../deploy/image.ts';

/** What the bundle is made of: src/, the build script, the manifests and the Dockerfile's runtime stage. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  const add = (file: string) => hash.update(`${relative(ROOT, file)}\0`).update(readFileSync(file)).update('\0');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else add(path);
    }
  };
  walk(join(ROOT, 'src'));
  for (const file of ['scripts/build.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'Dockerfile']) add(join(ROOT, file));
  return hash.digest('hex').slice(0, 16);
}

export interface RouterCommand {
  /** node, its flags and the bundle's script: append the CLI's arguments. */
  argv: string[];
  /** The image's ENV. */
  env: Record<string, string>;
  /** Run from here (the image's WORKDIR). */
  cwd: string;
}

let cached: RouterCommand | undefined;

/** The bundle's command line, building the bundle first if this state of the sources has none yet. */
export function routerCommand(stateDir: string): RouterCommand {
  if (cached) return cached;
  const runtime = runtimeStage();
  const home = join(stateDir, 'bundle');
  const dir = join(home, inputsDigest());
  const entry = join(dir, 'app', 'dist', 'eventrouter.js');
  if (!existsSync(entry)) {
    mkdirSync(home, { recursive: true });
    // Built aside and renamed into place: a build that dies half-way is never taken for a bundle.
    const work = mkdtempSync(join(home, 'building-'));
    emulateImage(work, runtime);
    rmSync(join(work, 'build'), { recursive: true, force: true });
    try {
      renameSync(work, dir);
    } catch (error) {
      // Another suite process built the same sources meanwhile: theirs is as good.
      rmSync(work, { recursive: true, force: true });
      if (!existsSync(entry)) throw error;
    }
    // Bundles of other sources are stale now; one built in the last hour may still be running
    // (a suite run while the sources changed), so those stay until a later build.
    for (const other of readdirSync(home)) {
      const path = join(home, other);
      if (path !== dir && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    }
  }
  const entrypoint = runtime.entrypoint ?? [];
  cached = {
    argv: [process.execPath, ...entrypoint.slice(1, -1), join(dir, 'app', relative(runtime.workdir, entrypoint.at(-1) ?? ''))],
    env: runtime.env,
    cwd: join(dir, 'app'),
  };
  return cached;
}
