import type { EventApi } from './config.ts';

/** The Events collection of one API (`core/v1` or `events.k8s.io/v1`) in a namespace, or in all of them (""). */
export function eventsPath(api: EventApi, namespace: string): string {
  const base = api === 'core/v1' ? '/api/v1' : '/apis/events.k8s.io/v1';
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/events` : `${base}/events`;
}
