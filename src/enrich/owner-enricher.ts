import { LRUCache } from 'lru-cache';
import type { EnrichConfig } from './config.ts';
import { ApiError, type KubeClient } from '../kube/kube-client.ts';
import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import { isAttributable } from '../model/identity.ts';
import { type BuiltInKind, type KindApi, builtInKind } from '../model/kinds.ts';
import type { Enricher } from './enricher.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { globMatcher } from '../util/glob.ts';
import { getObject } from './object-metadata.ts';
import type { WorkloadMetadata } from './service-attributes.ts';
import { TokenBucket } from './token-bucket.ts';

/** A kind the owner chain reads: a built-in kind with where to GET it. */
type KindInfo = BuiltInKind & { api: KindApi };

/** The kind an object reference names, if the owner chain can read it (a CRD reusing a built-in name cannot). */
function kindFor(kindName: string | undefined, apiVersion: string | undefined): KindInfo | undefined {
  const info = builtInKind(kindName, apiVersion);
  return info?.api === undefined ? undefined : (info as KindInfo);
}

/** Deeper chains than this are a loop or a custom controller stack: stop. */
const MAX_DEPTH = 5;
/** Transient failures (5xx, timeouts) are remembered this long at most, so an API outage is not hammered. */
const ERROR_TTL_MS = 5_000;

interface OwnerRef {
  kind: string;
  name: string;
  uid: string | undefined;
  apiVersion: string | undefined;
}

/** What is kept of a fetched object: no spec, no status, no managedFields. */
interface ObjectInfo {
  uid: string | undefined;
  labels: Record<string, string> | undefined;
  annotations: Record<string, string> | undefined;
  controller: OwnerRef | undefined;
  /** Pods only: `spec.nodeName`. */
  nodeName: string | undefined;
  /** Pods only: container name → image (for `service.version` of an event about a container). */
  images: Record<string, string> | undefined;
}

type LookupOutcome = 'not_found' | 'forbidden' | 'error';
interface Missing {
  missing: LookupOutcome;
}
type Lookup = ObjectInfo | Missing;

/** The enrichment of one involved object: attribute pairs flattened `[k0, v0, k1, v1, ...]`. */
interface Resolved {
  attrs: string[];
  /** The metadata of the chain (what `service.*` is derived from); here also so that the cache's size counts it. */
  metadata: WorkloadMetadata | undefined;
  /** The same value, settled once, so that a cache hit allocates no promise. */
  promise: Promise<WorkloadMetadata | undefined>;
}

/** A resolution in progress; waiters read what it has found so far when their deadline passes. */
interface Pending {
  attrs: string[];
  metadata: WorkloadMetadata | undefined;
  /** False when a lookup failed transiently: the result is then not cached. */
  complete: boolean;
  /** How long the result may be cached: the shortest remaining TTL of what it was built from. */
  ttl: number;
  done: Promise<void>;
}

export interface OwnerEnricherDeps {
  client: KubeClient;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The `enrich.*` section as the schema leaves it (durations in ms, defaults applied):
 * `cacheSize` objects (and resolved chains) kept, each trusted (a 404/403 too) for `cacheTtl`;
 * `qps` API requests a second; `deadline`, how long a record waits for its lookups before it
 * goes out with what is known; `labels`/`annotations`, key globs copied to
 * `k8s.<kind>.label.<key>` / `k8s.<kind>.annotation.<key>`.
 */
export type OwnerEnricherOptions = OwnerEnricherDeps & Pick<EnrichConfig, 'cacheSize' | 'cacheTtl' | 'qps' | 'deadline' | 'labels' | 'annotations'>;

/** One lookup's own timeout: a slow API server must not hold a record longer than its deadline does anyway. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Bytes each cache may hold (keys and kept strings, estimated). Entries are counted too
 * (`cacheSize`), but one object may carry 256 KiB of annotations and an Event may name an object
 * with a megabyte-long name or uid: 400 such entries were an abort in a 128 MiB pod.
 */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;
/** An ObjectMeta uid is a UUID; anything much longer is not one the API server issued. */
const MAX_UID_LENGTH = 128;
/** Labels the `service.*` rules read (service-attributes.ts); annotations are read by prefix. */
const SERVICE_LABELS: ReadonlySet<string> = new Set(['app.kubernetes.io/instance', 'app.kubernetes.io/name', 'app.kubernetes.io/version']);
const SERVICE_ANNOTATION_PREFIX = 'resource.opentelemetry.io/';

const NONE: Promise<WorkloadMetadata | undefined> = Promise.resolve(undefined);
/** What {@link OwnerEnricher.enrichCached} answers for an object it never looks up. */
const NOTHING_KNOWN = { metadata: undefined } as const;

/** The string entries of `value` whose key `keep` accepts: what enrichment reads, not the whole map. */
function stringMap(value: unknown, keep: (key: string) => boolean): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  let out: Record<string, string> | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && keep(key)) (out ??= {})[key] = v;
  }
  return out;
}

/** A DNS-1123 subdomain: what the API server requires of every object the owner chain reads (pods, workloads). */
const OBJECT_NAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
/** A DNS-1123 label: a namespace name. */
const NAMESPACE_NAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/**
 * Whether the API server could hold such an object. An Event's involvedObject is not validated:
 * it may name a pod `.` (a URL turns `pods/.` into `pods/`, the LIST of every pod in the
 * namespace, read whole: an OOM kill in 128 MiB with 3,000 pods), `..` (the Namespace itself)
 * or a name a megabyte long (a cache key of that size). None of those is looked up.
 */
function isObjectName(namespace: string, name: string): boolean {
  return name.length <= 253 && OBJECT_NAME.test(name) && namespace.length <= 63 && NAMESPACE_NAME.test(namespace);
}

/** Rough bytes held by a cached value and its key: strings at two bytes a character, objects a fixed amount. */
function heldBytes(value: unknown, key: string): number {
  let bytes = 64 + key.length * 2;
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') bytes += 16 + v.length * 2;
    else if (typeof v === 'object' && v !== null && depth < 3 && !(v instanceof Promise)) {
      bytes += 32;
      for (const [k, inner] of Object.entries(v)) {
        bytes += 8 + k.length * 2;
        walk(inner, depth + 1);
      }
    } else bytes += 8;
  };
  walk(value, 0);
  return bytes;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Container name → image of `spec.containers` and `spec.initContainers` (as k8sattributes reads them). */
function imagesOf(spec: Record<string, unknown>): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const list of [spec['containers'], spec['initContainers']]) {
    if (!Array.isArray(list)) continue;
    for (const container of list as Array<Record<string, unknown>>) {
      const name = str(container?.['name']);
      const image = str(container?.['image']);
      if (name !== undefined && image !== undefined) (out ??= {})[name] = image;
    }
  }
  return out;
}

/** Which labels and annotations of an object enrichment reads: the `service.*` rules' and the opt-in globs'. */
interface KeptMetadata {
  label: (key: string) => boolean;
  annotation: (key: string) => boolean;
}

/**
 * Keeps what enrichment needs of an object (full or PartialObjectMetadata): no spec but the
 * pod's node and images, and only the labels and annotations that are read. An object may carry
 * 256 KiB of annotations, and a cache of 10,000 objects must not keep them all.
 */
function toInfo(raw: unknown, keep: KeptMetadata): ObjectInfo {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const metadata = (typeof obj['metadata'] === 'object' && obj['metadata'] !== null ? obj['metadata'] : {}) as Record<string, unknown>;
  const spec = (typeof obj['spec'] === 'object' && obj['spec'] !== null ? obj['spec'] : {}) as Record<string, unknown>;
  let controller: OwnerRef | undefined;
  const owners = metadata['ownerReferences'];
  if (Array.isArray(owners)) {
    for (const owner of owners as Array<Record<string, unknown>>) {
      const ownerKind = str(owner?.['kind']);
      const name = str(owner?.['name']);
      if (owner?.['controller'] === true && ownerKind !== undefined && name !== undefined) {
        controller = { kind: ownerKind, name, uid: str(owner['uid']), apiVersion: str(owner['apiVersion']) };
        break;
      }
    }
  }
  return {
    uid: str(metadata['uid']),
    labels: stringMap(metadata['labels'], keep.label),
    annotations: stringMap(metadata['annotations'], keep.annotation),
    controller,
    nodeName: str(spec['nodeName']),
    images: imagesOf(spec),
  };
}

/** Sets attribute pairs that the resource does not have yet (event-derived values win). */
function apply(resource: AttributeMap, attrs: readonly string[]): void {
  for (let i = 0; i < attrs.length; i += 2) {
    const key = attrs[i] as string;
    if (resource[key] === undefined) resource[key] = attrs[i + 1] as string;
  }
}

/**
 * Adds the owner chain of an event's involved object to its resource, the way the Collector's
 * k8sattributes processor describes a pod: Pod → ReplicaSet → Deployment, Pod → Job → CronJob,
 * Pod → StatefulSet / DaemonSet / ReplicationController; events about a ReplicaSet or a Job get
 * their Deployment / CronJob. Returns the labels and annotations that decide `service.*`: the
 * pod's, or the top workload's for an event about a workload.
 *
 * Objects are read one GET at a time (metadata only, except Pods whose `spec.nodeName` is
 * wanted), behind a bounded LRU cache with a TTL that also remembers 404 and 403, with one
 * request in flight per object, a token-bucket rate limit, and a per-record deadline after
 * which the record goes out with what is known. A resolved chain is cached per involved object,
 * so the hot path of a warm cache is a map lookup and a few property writes.
 */
export class OwnerEnricher implements Enricher {
  readonly #client: KubeClient;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #ttl: number;
  readonly #deadline: number;
  /** Aborted by shutdown(): lookups in flight end, and none start. */
  readonly #closed = new AbortController();
  readonly #bucket: TokenBucket;
  readonly #objects: LRUCache<string, Lookup>;
  readonly #resolved: LRUCache<string, Resolved>;
  readonly #inflight = new Map<string, Promise<Lookup>>();
  readonly #pending = new Map<string, Pending>();
  readonly #labelMatch: ((key: string) => boolean) | undefined;
  readonly #annotationMatch: ((key: string) => boolean) | undefined;
  readonly #keep: KeptMetadata;
  readonly #forbiddenWarned = new Set<string>();

  constructor(options: OwnerEnricherOptions) {
    this.#client = options.client;
    this.#metrics = options.metrics;
    this.#log = options.logger.child({ component: 'enrich' });
    this.#ttl = options.cacheTtl;
    this.#deadline = options.deadline;
    this.#bucket = new TokenBucket(options.qps);
    const max = options.cacheSize;
    const bounds = { max, ttl: this.#ttl, maxSize: MAX_CACHE_BYTES, sizeCalculation: heldBytes };
    this.#objects = new LRUCache<string, Lookup>(bounds);
    this.#resolved = new LRUCache<string, Resolved>(bounds);
    const labelMatch = (this.#labelMatch = globMatcher(options.labels));
    const annotationMatch = (this.#annotationMatch = globMatcher(options.annotations));
    this.#keep = {
      label: (key) => SERVICE_LABELS.has(key) || labelMatch?.(key) === true,
      annotation: (key) => key.startsWith(SERVICE_ANNOTATION_PREFIX) || annotationMatch?.(key) === true,
    };
  }

  /** Nothing to open: lookups start with the first record. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Ends the lookups in flight (their records go out with what is known) and empties the caches. */
  shutdown(): Promise<void> {
    this.#closed.abort();
    this.#objects.clear();
    this.#resolved.clear();
    return Promise.resolve();
  }

  /** Objects and chains currently cached (for tests and diagnostics). */
  get cacheSizes(): { objects: number; resolved: number } {
    return { objects: this.#objects.size, resolved: this.#resolved.size };
  }

  /** {@link Enricher.enrichCached}: a cache hit (or nothing to look up) at once, with no promise. */
  enrichCached(record: EventRecord): { readonly metadata: WorkloadMetadata | undefined } | undefined {
    const ref = record.event.regarding;
    const info = kindFor(ref.kind, ref.apiVersion);
    if (info === undefined || ref.name === undefined || !isAttributable(record.event)) return NOTHING_KNOWN;
    if (!isObjectName(record.event.namespace, ref.name) || (ref.uid !== undefined && ref.uid.length > MAX_UID_LENGTH)) return NOTHING_KNOWN;
    const hit = this.#resolved.get(`${record.event.namespace}/${ref.uid ?? `${ref.kind}/${ref.name}`}`);
    if (hit === undefined) return undefined;
    apply(record.resource, hit.attrs);
    return hit;
  }

  enrich(record: EventRecord): Promise<WorkloadMetadata | undefined> {
    const ref = record.event.regarding;
    const info = kindFor(ref.kind, ref.apiVersion);
    if (info === undefined || ref.name === undefined) return NONE;
    // Lookups run with the router's cluster-wide read permission: never for an object outside
    // the event's own namespace (the enrich stage skips those too; this is the last guard).
    if (!isAttributable(record.event)) return NONE;
    const namespace = record.event.namespace;
    if (!isObjectName(namespace, ref.name) || (ref.uid !== undefined && ref.uid.length > MAX_UID_LENGTH)) return NONE;
    // uids are unique across the cluster; without one, the name identifies the object. The
    // namespace is part of the key all the same: an event may copy another namespace's uid, and
    // must not be handed the chain resolved for that object.
    const key = `${namespace}/${ref.uid ?? `${ref.kind}/${ref.name}`}`;
    const hit = this.#resolved.get(key);
    if (hit !== undefined) {
      apply(record.resource, hit.attrs);
      return hit.promise;
    }
    return this.#miss(record.resource, key, info, namespace, ref.name, ref.uid);
  }

  #miss(resource: AttributeMap, key: string, info: KindInfo, namespace: string, name: string, uid: string | undefined): Promise<WorkloadMetadata | undefined> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      const started: Pending = { attrs: [], metadata: undefined, complete: true, ttl: this.#ttl, done: Promise.resolve() };
      started.done = this.#resolve(started, info, namespace, name, uid)
        .catch((error: Error) => {
          started.complete = false;
          this.#log.debug({ err: error.message, object: key }, 'owner lookup failed');
        })
        .then(() => {
          this.#pending.delete(key);
          if (started.complete && started.ttl > 0) {
            this.#resolved.set(key, { attrs: started.attrs, metadata: started.metadata, promise: Promise.resolve(started.metadata) }, { ttl: started.ttl });
          }
        });
      this.#pending.set(key, started);
      pending = started;
    }
    const current = pending;
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.#metrics.enrichLookups.inc({ outcome: 'deadline' });
        // What is known so far: the lookups go on in the background and fill the cache.
        apply(resource, current.attrs);
        resolve(current.metadata);
      }, this.#deadline);
      void current.done.then(() => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        apply(resource, current.attrs);
        resolve(current.metadata);
      });
    });
  }

  async #resolve(out: Pending, info: KindInfo, namespace: string, name: string, uid: string | undefined): Promise<void> {
    const self = await this.#lookup(out, info, namespace, name);
    // A same-named successor (a StatefulSet pod re-created) is another object: its owners are not the event's.
    if (self === undefined || (uid !== undefined && self.uid !== undefined && self.uid !== uid)) return;
    const aboutPod = info.api.plural === 'pods';
    if (aboutPod) {
      if (self.uid !== undefined && info.uidAttr !== undefined) out.attrs.push(info.uidAttr, self.uid);
      if (self.nodeName !== undefined) out.attrs.push('k8s.node.name', self.nodeName);
    }
    this.#pushMetadata(out, info, self);
    out.metadata = {
      ...(self.labels ? { labels: self.labels } : {}),
      ...(self.annotations ? { annotations: self.annotations } : {}),
      ...(self.images ? { images: self.images } : {}),
    };
    let owner = self.controller;
    for (let depth = 0; owner !== undefined && depth < MAX_DEPTH; depth++) {
      const ownerInfo = kindFor(owner.kind, owner.apiVersion);
      if (ownerInfo === undefined) break;
      out.attrs.push(ownerInfo.nameAttr, owner.name);
      if (owner.uid !== undefined && ownerInfo.uidAttr !== undefined) out.attrs.push(ownerInfo.uidAttr, owner.uid);
      // The ownerReference names the owner; it is read only to climb further, to take the
      // top workload's labels for an event about a workload, or to copy its labels/annotations.
      const needed = ownerInfo.api.hasOwner || !aboutPod || this.#labelMatch !== undefined || this.#annotationMatch !== undefined;
      if (!needed) break;
      const parent = await this.#lookup(out, ownerInfo, namespace, owner.name);
      if (parent === undefined || (owner.uid !== undefined && parent.uid !== undefined && parent.uid !== owner.uid)) break;
      this.#pushMetadata(out, ownerInfo, parent);
      if (!aboutPod) {
        out.metadata = { ...(parent.labels ? { labels: parent.labels } : {}), ...(parent.annotations ? { annotations: parent.annotations } : {}) };
      }
      owner = parent.controller;
    }
  }

  /** Opt-in labels and annotations as `k8s.<kind>.label.<key>` / `k8s.<kind>.annotation.<key>`. */
  #pushMetadata(out: Pending, info: KindInfo, object: ObjectInfo): void {
    if (this.#labelMatch !== undefined && object.labels !== undefined) {
      for (const [key, value] of Object.entries(object.labels)) if (this.#labelMatch(key)) out.attrs.push(info.labelPrefix + key, value);
    }
    if (this.#annotationMatch !== undefined && object.annotations !== undefined) {
      for (const [key, value] of Object.entries(object.annotations)) {
        if (this.#annotationMatch(key)) out.attrs.push(info.annotationPrefix + key, value);
      }
    }
  }

  /** The object from the cache, else from the API (one request in flight per object). */
  async #lookup(out: Pending, info: KindInfo, namespace: string, name: string): Promise<ObjectInfo | undefined> {
    // Owner references come from the API server, which validates them less than object names.
    if (!isObjectName(namespace, name)) return undefined;
    const path = `${info.api.prefix}/namespaces/${encodeURIComponent(namespace)}/${info.api.plural}/${encodeURIComponent(name)}`;
    let entry = this.#objects.get(path);
    if (entry !== undefined) {
      out.ttl = Math.min(out.ttl, this.#objects.getRemainingTTL(path));
    } else {
      let inflight = this.#inflight.get(path);
      if (inflight === undefined) {
        inflight = this.#fetch(path, info);
        this.#inflight.set(path, inflight);
      }
      entry = await inflight;
    }
    if ('missing' in entry) {
      if (entry.missing === 'error') out.complete = false;
      return undefined;
    }
    return entry;
  }

  async #fetch(path: string, info: KindInfo): Promise<Lookup> {
    try {
      if (this.#closed.signal.aborted) throw new Error('the enricher is shut down');
      await this.#bucket.acquire();
      const raw = await getObject(this.#client, path, { metadataOnly: info.api.plural !== 'pods', timeoutMs: REQUEST_TIMEOUT_MS, signal: this.#closed.signal });
      const object = toInfo(raw, this.#keep);
      this.#metrics.enrichLookups.inc({ outcome: 'ok' });
      this.#objects.set(path, object);
      return object;
    } catch (error) {
      const status = error instanceof ApiError ? error.status : undefined;
      const missing: Missing = { missing: status === 404 ? 'not_found' : status === 403 ? 'forbidden' : 'error' };
      this.#metrics.enrichLookups.inc({ outcome: missing.missing });
      if (missing.missing === 'forbidden' && !this.#forbiddenWarned.has(info.api.plural)) {
        this.#forbiddenWarned.add(info.api.plural);
        this.#log.warn(
          { resource: info.api.plural, path },
          `no permission to get ${info.api.plural}; events go out without that enrichment (grant get on ${info.api.plural} to the service account)`,
        );
      } else if (missing.missing === 'error') {
        this.#log.debug({ err: (error as Error).message, path }, 'owner lookup failed');
      }
      this.#objects.set(path, missing, { ttl: missing.missing === 'error' ? Math.min(this.#ttl, ERROR_TTL_MS) : this.#ttl });
      return missing;
    } finally {
      this.#inflight.delete(path);
    }
  }
}

/** The enricher that `enrich.*` configures; undefined when `enrich.owners` is off. */
export function createOwnerEnricher(config: EnrichConfig, deps: OwnerEnricherDeps): OwnerEnricher | undefined {
  return config.owners ? new OwnerEnricher({ ...deps, ...config }) : undefined;
}
