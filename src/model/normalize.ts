import type { NormalizedEvent, ObjectRef } from './normalized-event.ts';

/** Why an object could not be turned into a {@link NormalizedEvent}. */
export class MalformedEventError extends Error {
  readonly code = 'E_EVENT_MALFORMED';
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'MalformedEventError';
    this.kind = kind;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A count: an integer the attribute can carry as such (the API server's are int32). A misbehaving
 * server's 1e300 or 2^63 is no count, and over OTLP/JSON the Collector refuses the whole request
 * for one `intValue` outside int64.
 */
function count(value: unknown): number | undefined {
  return Number.isSafeInteger(value) ? (value as number) : undefined;
}

function ref(value: unknown): ObjectRef | undefined {
  if (!isObject(value)) return undefined;
  const out: ObjectRef = {};
  const kind = str(value['kind']);
  const name = str(value['name']);
  const namespace = str(value['namespace']);
  const uid = str(value['uid']);
  const apiVersion = str(value['apiVersion']);
  const resourceVersion = str(value['resourceVersion']);
  const fieldPath = str(value['fieldPath']);
  if (kind !== undefined) out.kind = kind;
  if (name !== undefined) out.name = name;
  if (namespace !== undefined) out.namespace = namespace;
  if (uid !== undefined) out.uid = uid;
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  if (resourceVersion !== undefined) out.resourceVersion = resourceVersion;
  if (fieldPath !== undefined) out.fieldPath = fieldPath;
  return out;
}

function setIf<K extends keyof NormalizedEvent>(target: NormalizedEvent, key: K, value: NormalizedEvent[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * The shape of an object is decided by its fields, not by `apiVersion`: informers and
 * some dumps strip `kind`/`apiVersion`, and v1beta1 objects look like v1 ones.
 */
function isNewStyle(obj: Json): boolean {
  const apiVersion = str(obj['apiVersion']);
  if (apiVersion !== undefined) return apiVersion.startsWith('events.k8s.io/');
  return 'regarding' in obj || 'note' in obj || 'deprecatedSource' in obj;
}

/**
 * Turns a core/v1 or events.k8s.io/v1(beta1) Event object into a {@link NormalizedEvent}.
 * Throws {@link MalformedEventError} for what cannot be an Event (no metadata, wrong kind);
 * tolerates every optional field being absent.
 */
export function normalizeEvent(raw: unknown): NormalizedEvent {
  if (!isObject(raw)) throw new MalformedEventError('not-an-object', 'event is not a JSON object');
  const kind = raw['kind'];
  if (kind !== undefined && kind !== 'Event') {
    throw new MalformedEventError('wrong-kind', `object of kind ${String(kind)} where an Event was expected`);
  }
  const metadata = raw['metadata'];
  if (!isObject(metadata)) throw new MalformedEventError('no-metadata', 'event has no metadata');
  const name = str(metadata['name']);
  const uid = str(metadata['uid']);
  if (name === undefined && uid === undefined) {
    throw new MalformedEventError('no-identity', 'event has neither metadata.name nor metadata.uid');
  }
  const newStyle = isNewStyle(raw);
  const event: NormalizedEvent = {
    apiVersion: str(raw['apiVersion']) ?? (newStyle ? 'events.k8s.io/v1' : 'v1'),
    name: name ?? '',
    namespace: str(metadata['namespace']) ?? '',
    uid: uid ?? '',
    resourceVersion: str(metadata['resourceVersion']) ?? '',
    regarding: ref(newStyle ? raw['regarding'] : raw['involvedObject']) ?? {},
  };
  setIf(event, 'creationTimestamp', str(metadata['creationTimestamp']));
  setIf(event, 'related', ref(raw['related']));
  setIf(event, 'reason', str(raw['reason']));
  setIf(event, 'action', str(raw['action']));
  setIf(event, 'type', str(raw['type']));
  setIf(event, 'eventTime', str(raw['eventTime']));
  setIf(event, 'reportingInstance', str(raw['reportingInstance']));
  const series = isObject(raw['series']) ? raw['series'] : undefined;
  setIf(event, 'seriesLastObservedTime', str(series?.['lastObservedTime']));
  if (newStyle) {
    const source = isObject(raw['deprecatedSource']) ? raw['deprecatedSource'] : undefined;
    setIf(event, 'message', typeof raw['note'] === 'string' ? raw['note'] : undefined);
    setIf(event, 'count', count(series?.['count']) ?? count(raw['deprecatedCount']));
    setIf(event, 'firstTimestamp', str(raw['deprecatedFirstTimestamp']));
    setIf(event, 'lastTimestamp', str(raw['deprecatedLastTimestamp']));
    setIf(event, 'reportingController', str(raw['reportingController']) ?? str(source?.['component']));
    setIf(event, 'sourceHost', str(source?.['host']));
    if (event.reportingInstance === undefined) setIf(event, 'reportingInstance', str(source?.['host']));
  } else {
    const source = isObject(raw['source']) ? raw['source'] : undefined;
    setIf(event, 'message', typeof raw['message'] === 'string' ? raw['message'] : undefined);
    setIf(event, 'count', count(series?.['count']) ?? count(raw['count']));
    setIf(event, 'firstTimestamp', str(raw['firstTimestamp']));
    setIf(event, 'lastTimestamp', str(raw['lastTimestamp']));
    setIf(event, 'reportingController', str(raw['reportingComponent']) ?? str(source?.['component']));
    setIf(event, 'sourceHost', str(source?.['host']));
    if (event.reportingInstance === undefined) setIf(event, 'reportingInstance', str(source?.['host']));
  }
  return event;
}

/** The time of the latest occurrence: what moves when a recurring event repeats. */
export function lastSeenTime(event: NormalizedEvent): string | undefined {
  return event.seriesLastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
}
