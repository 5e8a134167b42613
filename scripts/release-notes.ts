/**
 * Release notes for a tag, from CHANGELOG.md: the body of its `## [X.Y.Z]` / `## X.Y.Z`
 * section. The release workflow (.github/workflows/release.yml) publishes them, and refuses a
 * tag that the changelog, package.json and the chart's appVersion do not all name: a release
 * whose notes are empty or whose image the chart does not deploy is worse than none.
 *
 *   node scripts/release-notes.ts v0.2.0 > notes.md
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `v1.2.3` / `1.2.3-rc.1` → `1.2.3` / `1.2.3-rc.1`; undefined when the tag is not a semver. */
export function tagVersion(tag: string): string | undefined {
  const version = tag.replace(/^v/, '');
  return /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version) ? version : undefined;
}

/** The text under the changelog's heading for `version` (up to the next `## `), trimmed; undefined when there is none or it is empty. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const escaped = version.replace(/[.+]/g, '\\$&');
  const heading = new RegExp(`^## \\[?v?${escaped}\\]?(\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const body = lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
  return body === '' ? undefined : body;
}

/** The notes for `tag`, or every reason the repository is not ready to release it. */
export function releaseNotes(tag: string, root: string = ROOT): { notes: string } | { problems: string[] } {
  const version = tagVersion(tag);
  if (version === undefined) return { problems: [`tag ${tag}: not vX.Y.Z`] };
  const problems: string[] = [];
  const notes = changelogSection(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), version);
  if (notes === undefined) problems.push(`CHANGELOG.md: no "## ${version}" section with text (rename "## Unreleased" to "## ${version} - <date>")`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (pkg.version !== version) problems.push(`package.json: version ${pkg.version}, tag ${tag}`);
  const chart = parse(readFileSync(join(root, 'deploy/helm/eventrouter/Chart.yaml'), 'utf8')) as { appVersion: string };
  if (String(chart.appVersion) !== version) problems.push(`deploy/helm/eventrouter/Chart.yaml: appVersion ${chart.appVersion}, tag ${tag} (the chart deploys the image tagged appVersion)`);
  return problems.length > 0 ? { problems } : { notes: notes ?? '' };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tag = process.argv[2];
  if (tag === undefined) {
    process.stderr.write('usage: node scripts/release-notes.ts <tag>\n');
    process.exit(2);
  }
  const result = releaseNotes(tag);
  if ('problems' in result) {
    process.stderr.write(`cannot release ${tag}:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${result.notes}\n`);
}
