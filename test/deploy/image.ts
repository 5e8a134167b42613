/**
 * The container image as the Dockerfile defines it, read from the Dockerfile itself, and its
 * runtime emulated without Docker: `npm run build`'s bundler writes dist/, the runtime stage's
 * COPY instructions assemble /app from it in a temporary directory (where no node_modules/ can
 * be found), and the router is run there with the ENTRYPOINT's node flags and the ENV of the
 * runtime stage. Whatever the bundle does not carry, or gets wrong, fails there as in the image.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

export function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

export interface Stage {
  name: string;
  image: string;
  workdir: string;
  copies: { from?: string; sources: string[]; destination: string }[];
  /** The ENV instructions of the stage (`ENV KEY=value ...`, or the legacy `ENV KEY value`). */
  env: Record<string, string>;
  user?: string;
  entrypoint?: string[];
}

/** The stages of a Dockerfile, with ARG defaults (or `overrides`, as `--build-arg`) substituted into FROM. */
export function stages(text: string, overrides: Record<string, string> = {}): Stage[] {
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const { keyword, args: rest } of instructions(text)) {
    const stage = out.at(-1);
    if (keyword === 'ARG' && stage === undefined) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else if (keyword === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, n: string) => overrides[n] ?? args.get(n) ?? '');
      out.push({ name: name ?? String(out.length), image: resolved, workdir: '/', copies: [], env: {} });
    } else if (stage !== undefined && keyword === 'WORKDIR') {
      stage.workdir = posix.resolve(stage.workdir, rest);
    } else if (stage !== undefined && keyword === 'COPY') {
      const words = rest.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      const destination = paths.pop() ?? '';
      stage.copies.push({ ...(from === undefined ? {} : { from }), sources: paths, destination: posix.resolve(stage.workdir, destination) });
    } else if (stage !== undefined && keyword === 'ENV') {
      if (rest.includes('=')) {
        for (const [, key = '', quoted, plain] of rest.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) stage.env[key] = quoted ?? plain ?? '';
      } else {
        const [key = '', ...value] = rest.split(/\s+/);
        stage.env[key] = value.join(' ');
      }
    } else if (stage !== undefined && keyword === 'USER') {
      stage.user = rest;
    } else if (stage !== undefined && keyword === 'ENTRYPOINT') {
      stage.entrypoint = JSON.parse(rest) as string[];
    }
  }
  return out;
}

export const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The stage the image runs. */
export function runtimeStage(text = dockerfile): Stage {
  const stage = stages(text).at(-1);
  if (stage === undefined) throw new Error('the Dockerfile has no stage');
  return stage;
}

export interface EmulatedImage {
  /** The directory that plays /app. */
  app: string;
  /** The ENTRYPOINT's script, under `app`. */
  entry: string;
  /** The ENTRYPOINT's node flags, between the binary and the script. */
  flags: string[];
  /** The runtime stage's ENV. */
  env: Record<string, string>;
  /** The output of the build stage's bundler (the `dist/` the image copies). */
  dist: string;
}

/**
 * Builds the bundle with scripts/build.ts into `work/build/dist` and assembles `work/app` from
 * it as the runtime stage's COPY instructions do. `work` must lie where no node_modules/ is
 * reachable from it (the system's temporary directory), as in the image.
 */
export function emulateImage(work: string, runtime = runtimeStage()): EmulatedImage {
  const build = join(work, 'build');
  const dist = join(build, 'dist');
  const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.ts'), '--outdir', dist], { encoding: 'utf8', timeout: 100_000 });
  if (bundle.status !== 0) throw new Error(`scripts/build.ts failed:\n${bundle.stdout}${bundle.stderr}`);
  const app = join(work, 'app');
  const stageRoot: Record<string, string> = { build };
  for (const copy of runtime.copies) {
    for (const source of copy.sources) {
      const from = stageRoot[copy.from ?? ''];
      if (from === undefined) throw new Error(`COPY --from=${copy.from}: not an emulated stage`);
      // The build stage works in /app too (WORKDIR /app), so its /app/dist is build/dist here.
      const local = join(from, posix.relative('/app', source));
      if (!existsSync(local)) throw new Error(`${source} does not exist in stage ${copy.from} after the build`);
      cpSync(local, join(app, posix.relative(runtime.workdir, copy.destination)), { recursive: true });
    }
  }
  const entrypoint = runtime.entrypoint ?? [];
  return {
    app,
    entry: join(app, posix.relative(runtime.workdir, entrypoint.at(-1) ?? '')),
    flags: entrypoint.slice(1, -1),
    env: runtime.env,
    dist,
  };
}
