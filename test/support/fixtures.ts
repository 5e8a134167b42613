import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/**
 * The real-event fixtures copied into the repository (sources and licences in its README), so
 * that a clone of the repository alone runs the tests and the bench.
 */
export const FIXTURES_DIR = new URL('../fixtures/real-events/', import.meta.url).pathname;

export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES_DIR.replace(/\/$/, '')}/${name}`, 'utf8');
}

/** Every Event object of a fixture file, whatever its format (List, NDJSON of objects or watch lines, YAML). */
export function fixtureEvents(name: string): Array<Record<string, unknown>> {
  const text = fixtureText(name);
  const collect = (value: unknown): Array<Record<string, unknown>> => {
    if (Array.isArray(value)) return value.flatMap(collect);
    if (typeof value !== 'object' || value === null) return [];
    const obj = value as Record<string, unknown>;
    if (Array.isArray(obj['items'])) return collect(obj['items']);
    if (typeof obj['type'] === 'string' && typeof obj['object'] === 'object' && !('metadata' in obj)) return collect(obj['object']);
    if (obj['kind'] !== undefined && obj['kind'] !== 'Event') return [];
    if (!('metadata' in obj)) return [];
    return [obj];
  };
  if (name.endsWith('.ndjson')) {
    return text.split('\n').filter((l) => l.trim()).flatMap((l) => collect(JSON.parse(l)));
  }
  if (name.endsWith('.json')) return collect(JSON.parse(text));
  return parseAllDocuments(text).flatMap((doc) => collect((doc as { toJS(): unknown }).toJS()));
}

export const EVENT_FIXTURES = [
  'cardinalhq-eks-watch-events.ndjson',
  'events-logger-minikube-eventsv1beta1.ndjson',
  'k9s-gke-event-pulled.json',
  'kspan-events-extracted.yaml',
  'openshift-mustgather-aws-default-eventlist.yaml',
  'sbctl-kurl-velero-eventlist.json',
  'troubleshoot-supportbundle-default-eventlist.json',
] as const;
