import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { findPinnedTool, pinnedVersion, skipUnlessPresent } from '../deploy/pinned-tool.ts';
import { ROOT } from '../deploy/manifests.ts';

const WORKFLOWS = join(ROOT, '.github', 'workflows');
const workflowFiles = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
const actionlint = findPinnedTool('actionlint', 'E2E_ACTIONLINT_VERSION', 'ACTIONLINT');
const NO_ACTIONLINT = `no actionlint binary (build the pinned one, ${pinnedVersion('E2E_ACTIONLINT_VERSION')}: scripts/e2e-build actionlint; or set ACTIONLINT)`;

function runActionlint(files: string[]): { status: number | null; output: string } {
  const result = spawnSync(actionlint ?? 'actionlint', ['-no-color', ...files], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { steps?: Step[]; uses?: string; needs?: string | string[]; permissions?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };

function workflow(name: string): Workflow {
  return parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Workflow;
}
function steps(w: Workflow): Step[] {
  return Object.values(w.jobs).flatMap((job) => job.steps ?? []);
}
function action(w: Workflow, name: string): Step {
  const found = steps(w).filter((s) => s.uses?.split('@')[0] === name);
  assert.equal(found.length, 1, `one ${name} step`);
  return found[0] as Step;
}

describe('GitHub workflows (actionlint)', { skip: skipUnlessPresent(actionlint, NO_ACTIONLINT) }, () => {
  it('passes actionlint (in CI a missing actionlint fails here instead of skipping)', () => {
    assert.ok(actionlint !== undefined, NO_ACTIONLINT);
    assert.ok(workflowFiles.length >= 2, workflowFiles.join(' '));
    const result = runActionlint(workflowFiles);
    assert.equal(result.status, 0, result.output);
  });

  it('fails a workflow with a broken expression and an unknown input (the check itself works)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    try {
      const file = join(dir, 'broken.yml');
      writeFileSync(file, 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v5\n        with: {fetch-deepth: 1}\n      - run: echo ${{ github.nope }\n');
      const result = runActionlint([file]);
      assert.equal(result.status, 1, result.output);
      assert.match(result.output, /fetch-deepth/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GitHub workflows (what they do)', () => {
  it('CI runs .ci/run, on pushes, pull requests and when the release calls it', () => {
    const ci = workflow('ci.yml');
    assert.deepEqual(Object.keys(ci.on).sort(), ['pull_request', 'push', 'workflow_call']);
    assert.ok(steps(ci).some((s) => s.run === 'bash .ci/run'));
    assert.deepEqual(ci.permissions, { contents: 'read' });
  });

  it('releases on a vX.Y.Z tag: CI, a signed multi-arch image with SBOM and provenance, the chart to an OCI registry, notes from CHANGELOG.md', () => {
    const release = workflow('release.yml');
    assert.deepEqual(release.on, { push: { tags: ['v[0-9]+.[0-9]+.[0-9]+*'] } });
    assert.deepEqual(release.permissions, {}, 'each job asks for what it needs');
    assert.equal(release.jobs['ci']?.uses, './.github/workflows/ci.yml');
    const build = action(release, 'docker/build-push-action').with ?? {};
    assert.equal(build['file'], 'Dockerfile');
    assert.deepEqual(String(build['platforms']).split(','), ['linux/amd64', 'linux/arm64']);
    assert.equal(build['push'], true);
    assert.equal(build['sbom'], true);
    assert.equal(build['provenance'], 'mode=max');
    assert.match(String(build['build-args']), /BUILD_IMAGE_DIGEST=.*\n\s*RUNTIME_IMAGE_DIGEST=/, 'the base images pinned by digest');
    assert.deepEqual(release.jobs['image']?.needs, ['notes', 'ci'], 'no image without a green CI');
    assert.equal(release.jobs['image']?.permissions?.['id-token'], 'write', 'keyless signing needs the OIDC token');
    const runs = steps(release).map((s) => s.run ?? '').join('\n');
    assert.match(runs, /cosign sign --yes "\$IMAGE@\$DIGEST"/);
    assert.match(runs, /cosign sign --yes "\$CHART@\$DIGEST"/);
    assert.match(runs, /helm push "dist-chart\/eventrouter-\$VERSION\.tgz" "\$repo"/);
    assert.match(runs, /repo="oci:\/\/ghcr\.io\//);
    assert.match(runs, /node_modules\/\.bin\/node scripts\/release-notes\.ts "\$TAG"/);
    assert.match(runs, /gh release create "\$TAG" .*--notes-file notes\.md/);
    assert.equal(action(release, 'azure/setup-helm').with?.['version'], pinnedVersion('E2E_HELM_VERSION'), 'the helm the tests ran');
  });
});
