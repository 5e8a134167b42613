import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
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
  components?: string[];
  configMapGenerator?: { name: string; files?: string[]; options?: { labels?: Record<string, string> } }[];
}

/** The `kubectl kustomize` / `kustomize build` command line for `dir`, when one is installed. */
function kustomizeCommand(dir: string): string[] | undefined {
  const kubectl = findBinary('kubectl');
  const kustomize = findBinary('kustomize');
  return kustomize !== undefined ? [kustomize, 'build', dir] : kubectl !== undefined ? [kubectl, 'kustomize', dir] : undefined;
}

/** Is a real kustomize available (name hashes of generated ConfigMaps, components, patches)? */
export const REAL_KUSTOMIZE = kustomizeCommand(DEPLOY) !== undefined;

/**
 * A kustomization rendered: with `kubectl kustomize` (or `kustomize build`) when one is
 * installed, else the listed resources and components concatenated, the generated
 * ConfigMaps built from their files (without the name hash), and the kustomization's
 * namespace set on namespaced objects (what the base needs to be applyable).
 */
export function renderKustomize(dir: string = DEPLOY): { objects: KubeObject[]; renderer: string } {
  const command = kustomizeCommand(dir);
  if (command !== undefined) {
    const [bin = '', ...args] = command;
    const result = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr}`);
    return { objects: parseManifests(result.stdout), renderer: command.slice(0, 2).join(' ') };
  }
  return { objects: concatenate(dir), renderer: 'concatenation of kustomization.yaml resources' };
}

function concatenate(dir: string, namespace?: string): KubeObject[] {
  const kustomization = parseManifests(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0] as unknown as Kustomization;
  const ns = kustomization.namespace ?? namespace;
  const objects: KubeObject[] = [];
  for (const entry of [...(kustomization.resources ?? []), ...(kustomization.components ?? [])]) {
    const path = join(dir, entry);
    objects.push(...(existsSync(join(path, 'kustomization.yaml')) ? concatenate(path, ns) : parseManifests(readFileSync(path, 'utf8'))));
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    const data = Object.fromEntries((generator.files ?? []).map((file) => [basename(file), readFileSync(join(dir, file), 'utf8')]));
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name, labels: generator.options?.labels ?? {} }, data } as unknown as KubeObject);
  }
  for (const object of objects) {
    if (ns !== undefined && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = ns;
  }
  return objects;
}

/**
 * `base` plus `components`, rendered through a throw-away overlay (kustomize refuses
 * absolute paths and overlays inside the base, so it lives in the temp dir and names both
 * relatively).
 */
export function renderOverlay(components: string[], extra: Record<string, unknown> = {}, files: Record<string, string> = {}): { objects: KubeObject[]; renderer: string } {
  const dir = mkdtempSync(join(tmpdir(), 'eventrouter-overlay-'));
  try {
    const kustomization = { resources: [relative(dir, DEPLOY)], components: components.map((c) => relative(dir, c)), ...extra };
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return renderKustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kinds without a namespace among those the base uses. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** The base's `eventrouter-config` ConfigMap: kustomize appends a content hash to the name. */
export const CONFIG_MAP_NAME = /^eventrouter-config(-[a-z0-9]{10})?$/;

/** The one object of `kind` (and `name`, when given); throws when absent or ambiguous. */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as KubeObject;
}
