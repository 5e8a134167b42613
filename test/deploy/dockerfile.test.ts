import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { only, renderKustomize, ROOT } from './manifests.ts';

/** One Dockerfile instruction, continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
}

function instructions(text: string): Instruction[] {
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

interface Stage {
  name: string;
  image: string;
  workdir: string;
  copies: { from?: string; sources: string[]; destination: string }[];
  user?: string;
  entrypoint?: string[];
}

/** The stages of a Dockerfile, with ARG defaults substituted into FROM. */
function stages(text: string): Stage[] {
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const { keyword, args: rest } of instructions(text)) {
    const stage = out.at(-1);
    if (keyword === 'ARG' && stage === undefined) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else if (keyword === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? '');
      out.push({ name: name ?? String(out.length), image: resolved, workdir: '/', copies: [] });
    } else if (stage !== undefined && keyword === 'WORKDIR') {
      stage.workdir = posix.resolve(stage.workdir, rest);
    } else if (stage !== undefined && keyword === 'COPY') {
      const words = rest.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      const destination = paths.pop() ?? '';
      stage.copies.push({ ...(from === undefined ? {} : { from }), sources: paths, destination: posix.resolve(stage.workdir, destination) });
    } else if (stage !== undefined && keyword === 'USER') {
      stage.user = rest;
    } else if (stage !== undefined && keyword === 'ENTRYPOINT') {
      stage.entrypoint = JSON.parse(rest) as string[];
    }
  }
  return out;
}

/** Is `path` (relative to the context) sent to the build by these .dockerignore rules? Last matching rule wins. */
function included(path: string, rules: string[]): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '.*')}$`,
    );
  let keep = true;
  const parts = path.split('/');
  for (const raw of rules) {
    const negated = raw.startsWith('!');
    const regexp = toRegExp(negated ? raw.slice(1) : raw);
    // A rule matches the path or any of its parent directories.
    if (parts.some((_, i) => regexp.test(parts.slice(0, i + 1).join('/')))) keep = negated;
  }
  return keep;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ignoreRules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const parsed = stages(dockerfile);
const runtime = parsed.at(-1) as Stage;
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('Dockerfile', () => {
  it('builds on node:24-slim and runs on distroless nodejs24 as the numeric non-root user 65532', () => {
    assert.deepEqual(parsed.map((s) => s.name), ['build', 'prod-deps', '2']);
    assert.equal(parsed[0]?.image, 'node:24-slim');
    assert.equal(parsed[1]?.image, 'node:24-slim');
    assert.equal(runtime.image, 'gcr.io/distroless/nodejs24-debian12');
    assert.equal(runtime.user, '65532:65532');
    assert.deepEqual(runtime.entrypoint, ['/nodejs/bin/node', '/app/dist/cli/main.js']);
    assert.match(dockerfile, /RUN npm ci --no-audit/);
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /RUN npm ci --omit=dev/);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const sources = parsed.flatMap((s) => s.copies.filter((c) => c.from === undefined).flatMap((c) => c.sources));
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
      assert.ok(included(source.replace(/\/$/, ''), ignoreRules), `${source} not excluded by .dockerignore`);
    }
    for (const leaked of ['node_modules', 'dist', '.git', 'test/deploy/helm.test.ts', 'deploy/kustomization.yaml']) {
      assert.equal(included(leaked, ignoreRules), false, `${leaked} excluded from the context`);
    }
    // Everything tsc reads must be in the context.
    for (const needed of ['tsconfig.json', 'tsconfig.build.json', 'src/cli/main.ts', 'package-lock.json']) {
      assert.ok(included(needed, ignoreRules), `${needed} in the context`);
    }
  });

  it('puts nothing in the runtime image but package.json, dist/ and the production node_modules/', () => {
    assert.deepEqual(
      runtime.copies.map((c) => `${c.from}:${c.sources.join(',')}->${c.destination}`).sort(),
      ['build:/app/dist->/app/dist', 'prod-deps:/app/node_modules->/app/node_modules', 'prod-deps:/app/package.json->/app/package.json'],
    );
  });

  it('runs as the UID the Deployment enforces', () => {
    const deployment = only(renderKustomize().objects, 'Deployment');
    const container = (deployment['spec'] as { template: { spec: { containers: { securityContext: { runAsUser: number } }[] } } }).template.spec.containers[0];
    assert.equal(`${container?.securityContext.runAsUser}:${container?.securityContext.runAsUser}`, runtime.user);
  });
});

/**
 * The image's stages emulated in a temporary directory: tsc emits dist/ as `npm run build`
 * does (tsconfig.build.json, to another outDir so the work tree is untouched), `npm ci
 * --omit=dev --ignore-scripts` installs the production dependencies from the lock file, and
 * the runtime layout /app = {package.json, dist/, node_modules/} is assembled from them.
 */
describe('image contents (stages emulated without Docker)', () => {
  let work = '';
  let app = '';
  let skipReason: string | undefined;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'eventrouter-image-'));
    const build = join(work, 'build');
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(build, 'dist')], {
      encoding: 'utf8',
      timeout: 100_000,
    });
    assert.equal(tsc.status, 0, `tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);

    const prod = join(work, 'prod-deps');
    mkdirSync(prod);
    copyFileSync(join(ROOT, 'package.json'), join(prod, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(prod, 'package-lock.json'));
    const npm = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: prod,
      encoding: 'utf8',
      // Below node --test's per-test timeout in `npm test` (120 s): a cold cache on a slow
      // network skips instead of failing.
      timeout: 100_000,
    });
    if (npm.error !== undefined || npm.signal !== null) {
      skipReason = `npm ci --omit=dev did not finish in 100 s (cold npm cache?): ${npm.error?.message ?? npm.signal}`;
      return;
    }
    if (npm.status !== 0) {
      const offline = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|network|offline/i.test(npm.stderr);
      assert.ok(offline, `npm ci --omit=dev failed:\n${npm.stderr}`);
      skipReason = `npm ci --omit=dev could not reach the registry (offline?): ${npm.stderr.split('\n')[0] ?? ''}`;
      return;
    }

    // The runtime stage's COPY instructions, applied to the emulated stages.
    app = join(work, 'app');
    const stageRoot: Record<string, string> = { build, 'prod-deps': prod };
    for (const copy of runtime.copies) {
      for (const source of copy.sources) {
        const from = stageRoot[copy.from ?? ''];
        assert.ok(from, `COPY --from=${copy.from}: an emulated stage`);
        const local = join(from, posix.relative('/app', source));
        assert.ok(existsSync(local), `${source} exists in stage ${copy.from} after the build`);
        cpSync(local, join(app, posix.relative('/app', copy.destination)), { recursive: true });
      }
    }
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('has the ENTRYPOINT script after the build', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const script = runtime.entrypoint?.[1] ?? '';
    assert.ok(existsSync(join(app, posix.relative('/app', script))), script);
  });

  it('has no dev-only package in node_modules/ (no compiler, no test tool)', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
      .map(([path]) => path);
    assert.ok(devOnly.includes('node_modules/typescript'), 'the lock file marks typescript dev-only');
    const shipped = devOnly.filter((path) => existsSync(join(app, path, 'package.json')));
    assert.deepEqual(shipped, []);
  });

  it('runs `--version` with the production dependencies only', (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const result = spawnSync(process.execPath, [join(app, 'dist', 'cli', 'main.js'), '--version'], { cwd: '/', encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), version);
  });

  it("validates the kustomize base's config.yaml with the compiled CLI", (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const configMap = only(renderKustomize().objects, 'ConfigMap') as { data?: Record<string, string> };
    const file = join(work, 'config.yaml');
    writeFileSync(file, configMap.data?.['config.yaml'] ?? '');
    const result = spawnSync(process.execPath, [join(app, 'dist', 'cli', 'main.js'), 'config', 'check', '--config', file], {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { checkpoint: { store: string } }).checkpoint.store, 'configmap');
  });
});
