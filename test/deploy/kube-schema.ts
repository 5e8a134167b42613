import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A Kubernetes object as read from a manifest. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Validates one object against the schema of its apiVersion/kind; returns the problems (none: valid). */
export interface KubeValidator {
  /** Where the schemas come from, for test names and messages. */
  readonly source: string;
  validate(object: KubeObject): Promise<string[]>;
}

/**
 * The devDependencies these validators need (`ajv`, `kubernetes-models`) are imported
 * dynamically, so that a checkout without them still type-checks and the tests skip with
 * this message instead of failing to load.
 */
export const MISSING_DEPENDENCY = 'devDependencies missing: npm install --save-dev ajv kubernetes-models';

async function importOptional(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Is the package installed? (Resolving does not load it.) */
export function resolvable(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** The parts of ajv's API used here (declared locally: ajv is an optional devDependency). */
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
interface ValidateFunction {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
interface AjvInstance {
  addSchema(schema: object): unknown;
  compile(schema: object): ValidateFunction;
}
type AjvConstructor = new (options: object) => AjvInstance;

/** `kubernetes-models/apps/v1/Deployment` from `apps/v1` + `Deployment`. */
function modelSpecifier(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

interface Model {
  validate(): void;
}

/**
 * The JSON Schemas of the `kubernetes-models` npm package: generated from the Kubernetes
 * OpenAPI spec and compiled with ajv. They check types, enums and required fields, but
 * accept unknown fields (a typo such as `readOnlyRootFileSystem` passes); see
 * {@link openApiValidator} for the strict check.
 */
export async function modelsValidator(): Promise<KubeValidator | undefined> {
  if (!resolvable('kubernetes-models/v1/Namespace')) return undefined;
  return {
    source: 'kubernetes-models (npm)',
    async validate(object) {
      let module: Record<string, new (data: unknown) => Model>;
      try {
        module = (await import(modelSpecifier(object.apiVersion, object.kind))) as typeof module;
      } catch {
        return [`${object.apiVersion} ${object.kind}: no schema in kubernetes-models`];
      }
      const ModelClass = module[object.kind];
      if (ModelClass === undefined) return [`${object.apiVersion} ${object.kind}: no model class`];
      try {
        new ModelClass(object).validate();
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
  };
}

/** The pinned Kubernetes release of the e2e tests (scripts/e2e-versions.sh), if readable. */
function pinnedKubernetesVersion(): string | undefined {
  try {
    const text = readFileSync(new URL('../../scripts/e2e-versions.sh', import.meta.url), 'utf8');
    return /^E2E_KUBERNETES_VERSION=(v[0-9.]+)/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** Go module caches that may hold `k8s.io/kubernetes@vX.Y.Z` (it carries `api/openapi-spec/v3`). */
function moduleCaches(): string[] {
  const e2eCache = process.env['EVENTROUTER_E2E_CACHE'] ?? join(homedir(), '.cache', 'eventrouter-e2e');
  return [
    join(e2eCache, 'go', 'mod'),
    process.env['GOMODCACHE'] ?? '',
    join(process.env['GOPATH'] ?? join(homedir(), 'go'), 'pkg', 'mod'),
  ].filter((dir) => dir !== '');
}

function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The directory of the upstream Kubernetes OpenAPI v3 spec (one JSON file per group/version):
 * `$KUBERNETES_OPENAPI_DIR`, else `k8s.io/kubernetes@<version>/api/openapi-spec/v3` in a Go
 * module cache (the e2e build downloads that module), the pinned version first, else the newest.
 */
export function findOpenApiSpec(): { dir: string; version: string } | undefined {
  const explicit = process.env['KUBERNETES_OPENAPI_DIR'];
  if (explicit !== undefined && existsSync(explicit)) return { dir: explicit, version: 'KUBERNETES_OPENAPI_DIR' };
  const pinned = pinnedKubernetesVersion();
  const found: { dir: string; version: string }[] = [];
  for (const cache of moduleCaches()) {
    const k8sDir = join(cache, 'k8s.io');
    if (!existsSync(k8sDir)) continue;
    for (const entry of readdirSync(k8sDir)) {
      const match = /^kubernetes@(v\d+\.\d+\.\d+)$/.exec(entry);
      const dir = join(k8sDir, entry, 'api', 'openapi-spec', 'v3');
      if (match?.[1] !== undefined && existsSync(dir)) found.push({ dir, version: match[1] });
    }
  }
  const exact = found.find((f) => f.version === pinned);
  if (exact !== undefined) return exact;
  return found.sort((a, b) => compareVersions(b.version, a.version))[0];
}

type JsonSchema = Record<string, unknown>;

/**
 * Makes every object schema that lists its `properties` reject the others, as the API
 * server's strict field validation (`kubectl apply --validate=strict`, the default) does.
 */
function strictify(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) strictify(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as JsonSchema;
  if (schema['properties'] !== undefined && schema['additionalProperties'] === undefined) {
    schema['additionalProperties'] = false;
  }
  for (const value of Object.values(schema)) strictify(value);
}

/** `apps/v1` → `apis__apps__v1_openapi.json`, `v1` → `api__v1_openapi.json`. */
function specFile(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? `api__${apiVersion}_openapi.json` : `apis__${apiVersion.slice(0, slash)}__${apiVersion.slice(slash + 1)}_openapi.json`;
}

/**
 * Strict validation with ajv against the upstream Kubernetes OpenAPI v3 spec: types,
 * required fields, and unknown fields rejected. Undefined when no spec is found or ajv is
 * not installed.
 */
export async function openApiValidator(): Promise<KubeValidator | undefined> {
  const spec = findOpenApiSpec();
  if (spec === undefined) return undefined;
  const ajvModule = await importOptional('ajv');
  if (ajvModule === undefined) return undefined;
  const Ajv = (ajvModule['Ajv'] ?? ajvModule['default']) as AjvConstructor;
  // OpenAPI 3.0 schemas: keep `nullable`, ignore the x-kubernetes-* extensions and the
  // formats (int32, int-or-string, ...) that are not JSON Schema formats.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
  const loaded = new Set<string>();
  const compiled = new Map<string, ValidateFunction | undefined>();

  const compile = (apiVersion: string, kind: string): ValidateFunction | undefined => {
    const key = `${apiVersion}/${kind}`;
    if (compiled.has(key)) return compiled.get(key);
    const file = specFile(apiVersion);
    const path = join(spec.dir, file);
    let validate: ValidateFunction | undefined;
    if (existsSync(path)) {
      const document = JSON.parse(readFileSync(path, 'utf8')) as { components: { schemas: Record<string, JsonSchema> } };
      const schemas = document.components.schemas;
      if (!loaded.has(file)) {
        strictify(schemas);
        ajv.addSchema({ $id: file, components: { schemas } });
        loaded.add(file);
      }
      const slash = apiVersion.indexOf('/');
      const group = slash < 0 ? '' : apiVersion.slice(0, slash);
      const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
      const name = Object.keys(schemas).find((n) => {
        const gvks = (schemas[n]?.['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[];
        return gvks.some((g) => g.group === group && g.version === version && g.kind === kind);
      });
      if (name !== undefined) validate = ajv.compile({ $ref: `${file}#/components/schemas/${name}` });
    }
    compiled.set(key, validate);
    return validate;
  };

  return {
    source: `Kubernetes ${spec.version} OpenAPI v3 (strict)`,
    async validate(object) {
      const validate = compile(object.apiVersion, object.kind);
      if (validate === undefined) return [`${object.apiVersion} ${object.kind}: not in the Kubernetes ${spec.version} OpenAPI spec`];
      if (validate(object)) return [];
      return (validate.errors ?? []).map((e) => {
        const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params['additionalProperty'])}"` : '';
        return `${e.instancePath || '/'}: ${e.message ?? e.keyword}${extra}`;
      });
    },
  };
}

/** Why {@link openApiValidator} returned undefined. */
export function strictSkipReason(): string {
  if (!resolvable('ajv')) return MISSING_DEPENDENCY;
  return 'no Kubernetes OpenAPI v3 spec: no k8s.io/kubernetes@vX.Y.Z/api/openapi-spec/v3 in a Go module cache (scripts/e2e-build downloads it), and KUBERNETES_OPENAPI_DIR unset';
}
