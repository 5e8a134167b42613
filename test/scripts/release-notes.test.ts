import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { changelogSection, releaseNotes, tagVersion } from '../../scripts/release-notes.ts';

const CHANGELOG = `# Changelog

## Unreleased

### Added
- next thing

## [0.2.0] - 2027-01-10

### Added
- helm chart pushed as an OCI artifact

## 0.1.0 - 2026-12-01

- first release
`;

/** A repository root with this changelog, package.json version and chart appVersion. */
function repo(changelog: string, pkgVersion: string, appVersion: string): string {
  const root = mkdtempSync(join(tmpdir(), 'release-notes-'));
  mkdirSync(join(root, 'deploy/helm/eventrouter'), { recursive: true });
  writeFileSync(join(root, 'CHANGELOG.md'), changelog);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ version: pkgVersion }));
  writeFileSync(join(root, 'deploy/helm/eventrouter/Chart.yaml'), `apiVersion: v2\nname: eventrouter\nversion: 0.3.0\nappVersion: "${appVersion}"\n`);
  return root;
}

describe('release notes (scripts/release-notes.ts)', () => {
  it("takes a tag's section of CHANGELOG.md, with or without brackets, up to the next version", () => {
    assert.equal(changelogSection(CHANGELOG, '0.2.0'), '### Added\n- helm chart pushed as an OCI artifact');
    assert.equal(changelogSection(CHANGELOG, '0.1.0'), '- first release');
    assert.equal(changelogSection(CHANGELOG, '0.1'), undefined);
    assert.equal(changelogSection(CHANGELOG, '0.3.0'), undefined);
    assert.equal(changelogSection('## 1.0.0\n\n## 0.9.0\n- x\n', '1.0.0'), undefined, 'an empty section is no notes');
  });

  it('accepts vX.Y.Z and pre-release tags only', () => {
    assert.equal(tagVersion('v1.2.3'), '1.2.3');
    assert.equal(tagVersion('v1.2.3-rc.1'), '1.2.3-rc.1');
    assert.equal(tagVersion('v1.2'), undefined);
    assert.equal(tagVersion('latest'), undefined);
  });

  it('releases a tag that CHANGELOG.md, package.json and the chart appVersion all name', () => {
    const root = repo(CHANGELOG, '0.2.0', '0.2.0');
    try {
      assert.deepEqual(releaseNotes('v0.2.0', root), { notes: '### Added\n- helm chart pushed as an OCI artifact' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses, naming every reason, a tag without a changelog section or with other versions in package.json and Chart.yaml', () => {
    const root = repo(CHANGELOG, '0.2.0', '0.1.0');
    try {
      const result = releaseNotes('v0.3.0', root);
      assert.ok('problems' in result);
      assert.equal(result.problems.length, 3, result.problems.join('\n'));
      assert.match(result.problems[0] ?? '', /CHANGELOG\.md: no "## 0\.3\.0" section/);
      assert.match(result.problems[1] ?? '', /package\.json: version 0\.2\.0, tag v0\.3\.0/);
      assert.match(result.problems[2] ?? '', /Chart\.yaml: appVersion 0\.1\.0/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
