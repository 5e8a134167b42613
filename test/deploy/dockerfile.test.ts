import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { grpcReceiver } from '../support/grpc-receiver.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { dockerfile, emulateImage, type EmulatedImage, instructions, type Stage, stages } from './image.ts';
import { only, renderKustomize, ROOT } from './manifests.ts';

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
 * The image's stages emulated in a temporary directory (./image.ts): the emulated /app lies
 * under the system's temporary directory, where no node_modules/ can be found, and is run with
 * the ENTRYPOINT's flags and the runtime stage's ENV: whatever the bundle does not carry fails
 * here. test/scripts/bundle-alone.test.ts delivers over every protocol from the same layout.
 */
describe('image contents (stages emulated without Docker)', () => {
  let work = '';
  let image: EmulatedImage;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'eventrouter-image-'));
    image = emulateImage(work, runtime);
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  /** The image's command line and environment (plus PATH), from / as the image runs it. */
  const run = (args: string[], timeout = 60_000) =>
    spawnSync(process.execPath, [...image.flags, image.entry, ...args], { cwd: '/', encoding: 'utf8', timeout, env: { PATH: process.env['PATH'] ?? '', ...image.env } });

  it('has the ENTRYPOINT script after the build, and no node_modules/', () => {
    assert.ok(existsSync(image.entry), image.entry);
    assert.equal(existsSync(join(image.app, 'node_modules')), false);
    assert.equal(image.env['NODE_ENV'], 'production');
  });

  it('runs `--version` with the ENTRYPOINT flags and nothing but the bundle', () => {
    const result = run(['--version']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), version);
  });

  it('runs the demo from the bundle and delivers its records over OTLP/HTTP and gRPC to real receivers', async () => {
    // Real receivers: a sink whose exports all fail would pass a test that only looks for a clean exit.
    const http = new OtlpReceiver();
    await http.start();
    const grpc = await grpcReceiver();
    try {
      const config = join(work, 'demo.yaml');
      // Any free port for /metrics: the default :8080 may be taken on a shared machine.
      writeFileSync(config, `server: {listen: "127.0.0.1:0"}\nsinks:\n  - {name: otlp, type: otlp, endpoint: "${http.url}", protocol: http/protobuf}\n  - {name: grpc, type: otlp, endpoint: "${grpc.url}", protocol: grpc}\n`);
      // Asynchronous: the receivers answer in this process while the demo runs.
      const result = await runAsync(process.execPath, [...image.flags, image.entry, 'demo', '--duration', '2s', '--config', config], { cwd: '/', env: { PATH: process.env['PATH'] ?? '', ...image.env } });
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      // The demo drains before its summary: each sink's count is what its receiver holds.
      for (const [sink, received] of [['otlp', http.logs.length], ['grpc', grpc.logs()]] as const) {
        const line = new RegExp(`sink ${sink}: (\\d+) delivered, (\\d+) failed`).exec(result.stdout);
        assert.ok(line, `a summary line for sink ${sink}:\n${result.stdout.slice(-600)}`);
        assert.equal(line[2], '0', `sink ${sink} failed nothing:\n${result.stderr.slice(-2000)}`);
        assert.ok(received > 0, `sink ${sink} delivered records`);
        assert.equal(Number(line[1]), received, `sink ${sink}: what the demo counts as delivered arrived`);
      }
    } finally {
      await http.stop();
      grpc.stop();
    }
  });

  it("validates the kustomize base's config.yaml with the bundled CLI", () => {
    const configMap = only(renderKustomize().objects, 'ConfigMap') as { data?: Record<string, string> };
    const file = join(work, 'config.yaml');
    writeFileSync(file, configMap.data?.['config.yaml'] ?? '');
    const result = run(['config', 'check', '--config', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { checkpoint: { store: string } }).checkpoint.store, 'configmap');
  });
});

/** A child process run to its end without blocking this process's event loop (its servers keep answering). */
function runAsync(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
