import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './manifests.ts';

/**
 * Is this CI (`CI` set and not `false`, as GitHub Actions and .ci/run set it)? There a missing
 * tool fails its suite: a skipped suite in CI is a check that silently stopped running.
 */
export const IN_CI = !['', '0', 'false'].includes((process.env['CI'] ?? '').toLowerCase());

/** A version pinned in scripts/e2e-versions.sh (`E2E_HELM_VERSION`, ...). */
export function pinnedVersion(variable: string): string {
  const text = readFileSync(new URL('../../scripts/e2e-versions.sh', import.meta.url), 'utf8');
  const version = new RegExp(`^${variable}=(v[0-9][^\\s#]*)`, 'm').exec(text)?.[1];
  if (version === undefined) throw new Error(`${variable} is not pinned in scripts/e2e-versions.sh`);
  return version;
}

/**
 * A tool scripts/e2e-build builds (helm, actionlint): $ENV_VAR, then the pinned build in the
 * e2e cache (`<cache>/<name>-<version>/bin/<name>`), then PATH; undefined when none exists.
 */
export function findPinnedTool(name: string, versionVariable: string, envVariable: string): string | undefined {
  const cache = process.env['EVENTROUTER_E2E_CACHE'] ?? join(homedir(), '.cache', 'eventrouter-e2e');
  const pinned = join(cache, `${name}-${pinnedVersion(versionVariable)}`, 'bin', name);
  return findBinary(name, [process.env[envVariable] ?? '', pinned].filter((p) => p !== ''));
}

/** The `skip` option of a suite that needs `bin`: a reason outside CI, never in CI (its tests then fail). */
export function skipUnlessPresent(bin: string | undefined, reason: string): string | false {
  return bin === undefined && !IN_CI ? reason : false;
}
