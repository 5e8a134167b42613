import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The stages of a Dockerfile, with ARG defaults (or `overrides`, as `--build-arg`) substituted into FROM. */
function stages(text: string, overrides: Record<string, string> = {}): Stage[] {
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
    assert.deepEqual(parsed.map((s) => s.name), ['build', '1']);
    assert.equal(parsed[0]?.image, 'node:24-slim');
    assert.equal(runtime.image, 'gcr.io/distroless/nodejs24-debian12');
    assert.equal(runtime.user, '65532:65532');
    assert.equal(runtime.entrypoint?.[0], '/nodejs/bin/node');
    assert.equal(runtime.entrypoint?.at(-1), '/app/dist/eventrouter.js');
    // Only V8/node flags between the binary and the script (the bench reads them from here).
    for (const flag of runtime.entrypoint?.slice(1, -1) ?? []) assert.match(flag, /^--[a-z-]+(=\S+)?$/);
    assert.match(dockerfile, /RUN npm ci --no-audit/);
    assert.match(dockerfile, /RUN npm run build/);
  });

  it('pins every base image by digest through a build argument next to its tag (a tag moves, a digest does not)', () => {
    const froms = instructions(dockerfile).filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0] ?? '');
    for (const from of froms) assert.match(from, /^\$\{(\w+)_IMAGE\}\$\{\1_IMAGE_DIGEST\}$/, `FROM ${from}`);
    // Unset, the digests leave the tags; set, each FROM names tag and digest.
    const digest = `@sha256:${'0123456789abcdef'.repeat(4)}`;
    const pinned = stages(dockerfile, { BUILD_IMAGE_DIGEST: digest, RUNTIME_IMAGE_DIGEST: digest.replace('0', 'f') });
    assert.deepEqual(pinned.map((s) => s.image), [`node:24-slim${digest}`, `gcr.io/distroless/nodejs24-debian12${digest.replace('0', 'f')}`]);
    // Defaults, when someone writes them in: empty, or a well-formed digest (never a guess left half-typed).
    for (const { args } of instructions(dockerfile).filter((i) => i.keyword === 'ARG' && i.args.includes('_DIGEST='))) {
      assert.match(args.split('=')[1] ?? '', /^(|@sha256:[0-9a-f]{64})$/, `ARG ${args}`);
    }
    // How to pin is documented where it is used.
    assert.match(dockerfile, /docker buildx imagetools inspect node:24-slim/);
    assert.match(dockerfile, /--build-arg BUILD_IMAGE_DIGEST=@sha256:/);
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
    // Everything the build reads must be in the context.
    for (const needed of ['tsconfig.json', 'tsconfig.build.json', 'src/cli/main.ts', 'package-lock.json', 'scripts/build.ts']) {
      assert.ok(included(needed, ignoreRules), `${needed} in the context`);
    }
  });

  it('puts nothing in the runtime image but the bundle in dist/ (no node_modules/)', () => {
    assert.deepEqual(
      runtime.copies.map((c) => `${c.from}:${c.sources.join(',')}->${c.destination}`).sort(),
      ['build:/app/dist->/app/dist'],
    );
  });

  it('runs as the UID the Deployment enforces', () => {
    const deployment = only(renderKustomize().objects, 'Deployment');
    const container = (deployment['spec'] as { template: { spec: { containers: { securityContext: { runAsUser: number } }[] } } }).template.spec.containers[0];
    assert.equal(`${container?.securityContext.runAsUser}:${container?.securityContext.runAsUser}`, runtime.user);
  });
});

/**
 * The image's stages emulated in a temporary directory: `npm run build`'s bundler writes dist/
 * (to another directory, so the work tree is untouched), and the runtime layout /app = {dist/}
 * is assembled from it by the runtime stage's COPY instructions. The emulated /app lies under
 * the system's temporary directory, where no node_modules/ can be found: whatever the bundle
 * does not carry fails here.
 */
describe('image contents (stages emulated without Docker)', () => {
  let work = '';
  let app = '';

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'eventrouter-image-'));
    const build = join(work, 'build');
    const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.ts'), '--outdir', join(build, 'dist')], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(bundle.status, 0, `scripts/build.ts failed:\n${bundle.stdout}${bundle.stderr}`);
    app = join(work, 'app');
    const stageRoot: Record<string, string> = { build };
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

  const entry = () => join(app, posix.relative('/app', runtime.entrypoint?.at(-1) ?? ''));
  const flags = () => runtime.entrypoint?.slice(1, -1) ?? [];

  it('has the ENTRYPOINT script after the build, and no node_modules/', () => {
    assert.ok(existsSync(entry()), entry());
    assert.equal(existsSync(join(app, 'node_modules')), false);
  });

  it('runs `--version` with the ENTRYPOINT flags and nothing but the bundle', () => {
    const result = spawnSync(process.execPath, [...flags(), entry(), '--version'], { cwd: '/', encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), version);
  });

  it('runs the demo from the bundle: the chunks loaded on demand (simulated cluster, OTLP exporter) are in it', () => {
    const config = join(work, 'demo.yaml');
    // An OTLP sink to a closed port: the exporter's chunk must load; nothing needs to arrive.
    // Any free port for /metrics: the default :8080 may be taken on a shared machine.
    writeFileSync(config, 'server: {listen: "127.0.0.1:0"}\nsinks:\n  - {name: otlp, type: otlp, endpoint: "http://127.0.0.1:9", protocol: http/protobuf}\n  - {name: grpc, type: otlp, endpoint: "http://127.0.0.1:9", protocol: grpc}\n');
    const result = spawnSync(process.execPath, [...flags(), entry(), 'demo', '--duration', '2s', '--config', config], { cwd: '/', encoding: 'utf8', timeout: 90_000, env: { PATH: process.env['PATH'] ?? '' } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /records exported from \d+ simulated events/);
    assert.doesNotMatch(result.stderr, /ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  });

  it("validates the kustomize base's config.yaml with the bundled CLI", () => {
    const configMap = only(renderKustomize().objects, 'ConfigMap') as { data?: Record<string, string> };
    const file = join(work, 'config.yaml');
    writeFileSync(file, configMap.data?.['config.yaml'] ?? '');
    const result = spawnSync(process.execPath, [...flags(), entry(), 'config', 'check', '--config', file], {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { checkpoint: { store: string } }).checkpoint.store, 'configmap');
  });
});
