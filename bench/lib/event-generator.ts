import { EVENT_FIXTURES, fixtureEvents } from '../../test/support/fixtures.ts';

/** A fixture event serialised once, split around the fields that vary per generated event. */
interface Template {
  /** Literal JSON pieces; `fields[k]` goes between `parts[k]` and `parts[k + 1]`. */
  parts: string[];
  fields: string[];
  involved: { apiVersion: string; kind: string; namespace: string; name: string; uid: string } | undefined;
  /** The fixture has a lastTimestamp or an eventTime (kubernetes-event-exporter discards events with neither). */
  timed: boolean;
}

/** The involved object of a generated event, for creating it in the simulated cluster (enrichment). */
export interface InvolvedObject {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

const MARK = /@@([A-Z]+)@@/;

/**
 * Makes any number of distinct core/v1 Events from the real fixtures (test/fixtures/real-events):
 * event i is template `i mod T` with its own name, uid, resourceVersion and times, and the
 * involved object of replica `floor(i / T) mod replicas` (a name/uid suffix), so that the
 * stream touches `T × replicas` objects while keeping each fixture's natural clustering of
 * events per object. The message ends with `[bench c=<creation ms>]` for latency measurement.
 * Generation is string concatenation (~1 µs), so the simulated API server never limits the router.
 */
export class EventGenerator {
  readonly #templates: Template[];
  readonly replicas: number;
  readonly #seed: string;
  /** Appended to every message (hostile-input scenarios: `messageBytes` of padding). */
  readonly #padding: string;

  /** @param options.messageBytes pads every message with this many ASCII characters (0: the fixture's own message). */
  constructor(options: { replicas?: number; seed?: string; messageBytes?: number } = {}) {
    this.replicas = options.replicas ?? 8;
    this.#seed = options.seed ?? Date.now().toString(36);
    this.#padding = options.messageBytes ? ' '.padEnd(options.messageBytes, 'm') : '';
    const events = EVENT_FIXTURES.flatMap((name) => fixtureEvents(name)).filter((e) => !('regarding' in e) && !('note' in e));
    this.#templates = events.map((event) => compile(event));
  }

  get templateCount(): number {
    return this.#templates.length;
  }

  /** The Event object of index `i` as JSON. */
  objectJson(i: number, resourceVersion: number, createdMs: number): string {
    const t = this.#templates[i % this.#templates.length] as Template;
    const replica = Math.floor(i / this.#templates.length) % this.replicas;
    const iso = new Date(createdMs).toISOString();
    let out = t.parts[0] as string;
    for (let k = 0; k < t.fields.length; k++) {
      switch (t.fields[k]) {
        case 'NAME':
          out += `.b${this.#seed}${i.toString(16)}`;
          break;
        case 'UID':
          out += `b${this.#seed}-${i.toString(16).padStart(12, '0')}`;
          break;
        case 'RV':
          out += String(resourceVersion);
          break;
        case 'TS':
          out += `${iso.slice(0, 19)}Z`;
          break;
        case 'MICRO':
          out += `${iso.slice(0, 23)}000Z`;
          break;
        case 'MSG':
          out += `[bench c=${createdMs}]${this.#padding}`;
          break;
        case 'REP':
          out += replica === 0 ? '' : `-r${replica}`;
          break;
      }
      out += t.parts[k + 1] as string;
    }
    return out;
  }

  /** A watch line (`{"type":"ADDED","object":...}` + newline). */
  watchLine(i: number, resourceVersion: number, createdMs: number): string {
    return `{"type":"ADDED","object":${this.objectJson(i, resourceVersion, createdMs)}}\n`;
  }

  /** How many of events 0 … count-1 have neither lastTimestamp nor eventTime. */
  untimed(count: number): number {
    let n = 0;
    for (let i = 0; i < count; i++) if (!(this.#templates[i % this.#templates.length] as Template).timed) n += 1;
    return n;
  }

  /** The kinds of involved object the stream refers to (the apiVersion as the fixtures give it, '' when absent). */
  involvedKinds(): Array<{ apiVersion: string; kind: string }> {
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const t of this.#templates) if (t.involved !== undefined && t.involved.kind !== '') kinds.set(t.involved.kind, { apiVersion: t.involved.apiVersion || (kinds.get(t.involved.kind)?.apiVersion ?? ''), kind: t.involved.kind });
    return [...kinds.values()];
  }

  /** Every distinct involved object the stream refers to (all replicas), of the given kind. */
  involvedObjects(kind: string): InvolvedObject[] {
    const seen = new Map<string, InvolvedObject>();
    for (const t of this.#templates) {
      const o = t.involved;
      if (o === undefined || o.kind !== kind) continue;
      for (let r = 0; r < this.replicas; r++) {
        const suffix = r === 0 ? '' : `-r${r}`;
        const object = { kind, namespace: o.namespace, name: `${o.name}${suffix}`, uid: `${o.uid}${suffix}` };
        seen.set(`${object.namespace}/${object.name}`, object);
      }
    }
    return [...seen.values()];
  }
}

function compile(fixture: Record<string, unknown>): Template {
  const event = structuredClone(fixture) as Record<string, any>;
  const md = (event['metadata'] ?? {}) as Record<string, unknown>;
  event['apiVersion'] = 'v1';
  event['kind'] = 'Event';
  event['metadata'] = {
    ...md,
    name: `${String(md['name'] ?? 'event')}@@NAME@@`,
    namespace: md['namespace'] ?? 'default',
    uid: '@@UID@@',
    resourceVersion: '@@RV@@',
    creationTimestamp: '@@TS@@',
  };
  if (event['firstTimestamp']) event['firstTimestamp'] = '@@TS@@';
  if (event['lastTimestamp']) event['lastTimestamp'] = '@@TS@@';
  if (event['eventTime']) event['eventTime'] = '@@MICRO@@';
  if (event['series']?.['lastObservedTime']) event['series']['lastObservedTime'] = '@@MICRO@@';
  event['message'] = `${typeof event['message'] === 'string' ? event['message'] : ''} @@MSG@@`;
  let involved: Template['involved'];
  const io = event['involvedObject'] as Record<string, unknown> | undefined;
  if (io !== undefined && typeof io['name'] === 'string' && io['name'] !== '') {
    involved = {
      apiVersion: String(io['apiVersion'] ?? ''),
      kind: String(io['kind'] ?? ''),
      namespace: String(io['namespace'] ?? ''),
      name: io['name'],
      uid: String(io['uid'] ?? ''),
    };
    io['name'] = `${io['name']}@@REP@@`;
    if (typeof io['uid'] === 'string' && io['uid'] !== '') io['uid'] = `${io['uid']}@@REP@@`;
  }
  const pieces = JSON.stringify(event).split(MARK);
  const parts: string[] = [];
  const fields: string[] = [];
  pieces.forEach((piece, k) => (k % 2 === 0 ? parts : fields).push(piece));
  return { parts, fields, involved, timed: Boolean(event['lastTimestamp'] || event['eventTime']) };
}
