import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube-schema.ts';

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = join(ROOT, 'deploy');
export const CHART = join(DEPLOY, 'helm', 'eventrouter');

/** Every document of a multi-document YAML text, empty ones (`---` only, comments) left out. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as KubeObject);
  }
  return objects;
}

/** The first executable found on PATH (or at one of `extra`), else undefined. */
export function findBinary(name: string, extra: string[] = []): string | undefined {
  for (const candidate of extra) if (existsSync(candidate)) return candidate;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
}

/**
 * The kustomize base rendered: with `kubectl kustomize` (or `kustomize build`) when one is
 * installed, else the listed resources concatenated with the kustomization's namespace set
 * on namespaced objects (the only transformation the base needs to be applyable).
 */
export function renderKustomize(dir: string = DEPLOY): { objects: KubeObject[]; renderer: string } {
  const kubectl = findBinary('kubectl');
  const kustomize = findBinary('kustomize');
  const command = kustomize !== undefined ? [kustomize, 'build', dir] : kubectl !== undefined ? [kubectl, 'kustomize', dir] : undefined;
  if (command !== undefined) {
    const [bin = '', ...args] = command;
    const result = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr}`);
    return { objects: parseManifests(result.stdout), renderer: command.slice(0, 2).join(' ') };
  }
  const kustomization = parseManifests(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0] as unknown as Kustomization;
  const objects: KubeObject[] = [];
  for (const file of kustomization.resources ?? []) {
    for (const object of parseManifests(readFileSync(join(dir, file), 'utf8'))) {
      if (kustomization.namespace !== undefined && !CLUSTER_SCOPED.has(object.kind)) {
        object.metadata.namespace = kustomization.namespace;
      }
      objects.push(object);
    }
  }
  return { objects, renderer: 'concatenation of kustomization.yaml resources' };
}

/** Kinds without a namespace among those the base uses. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** The helm binary: $HELM, then the e2e cache's go-install location, then PATH. */
export function findHelm(): string | undefined {
  const cache = process.env['EVENTROUTER_E2E_CACHE'] ?? join(homedir(), '.cache', 'eventrouter-e2e');
  const extra = [process.env['HELM'] ?? '', join(cache, 'helm', 'helm')].filter((p) => p !== '');
  return findBinary('helm', extra);
}

/** The one object of `kind` (and `name`, when given); throws when absent or ambiguous. */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as KubeObject;
}
