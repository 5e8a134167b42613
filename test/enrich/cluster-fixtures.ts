import { parseAllDocuments } from 'yaml';
import type { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { fixtureText } from '../support/fixtures.ts';

export const COLLECTIONS: Record<string, string> = {
  Event: '/api/v1/events',
  Pod: '/api/v1/pods',
  Namespace: '/api/v1/namespaces',
  ReplicaSet: '/apis/apps/v1/replicasets',
  Deployment: '/apis/apps/v1/deployments',
  StatefulSet: '/apis/apps/v1/statefulsets',
  DaemonSet: '/apis/apps/v1/daemonsets',
  Job: '/apis/batch/v1/jobs',
  CronJob: '/apis/batch/v1/cronjobs',
};

export const CLUSTER_UID = '5f2e0c3a-0000-4000-8000-c1u5teruid01';

/** Every document of the kspan recording: Deployment, ReplicaSets and Pods interleaved with Events. */
export function recordingObjects(): Array<Record<string, any>> {
  return parseAllDocuments(fixtureText('kspan-deployment-2-pods.recording.yaml'))
    .map((doc) => (doc as { toJS(): unknown }).toJS() as Record<string, any> | null)
    .filter((o): o is Record<string, any> => o !== null && typeof o === 'object');
}

/** Loads the recording's workload objects (not its events) and the kube-system Namespace. */
export function loadRecordingWorkloads(api: FakeApiServer): void {
  api.create(COLLECTIONS['Namespace']!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: CLUSTER_UID } });
  for (const object of recordingObjects()) {
    if (object['kind'] === 'Event') continue;
    api.create(COLLECTIONS[object['kind']]!, object);
  }
}

export function recordingEvents(): Array<Record<string, any>> {
  return recordingObjects().filter((o) => o['kind'] === 'Event');
}

let seq = 0;

/** A core/v1 Event about `about`, as the component writes it. */
export function eventAbout(
  about: { kind: string; name: string; namespace: string; uid?: string; apiVersion: string; fieldPath?: string },
  reason: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  seq += 1;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.name}.${(0x17000000 + seq).toString(16)}`, namespace: about.namespace },
    involvedObject: about,
    reason,
    message: `${reason} ${seq}`,
    type: 'Normal',
    count: 1,
    firstTimestamp: '2025-03-01T10:00:00Z',
    lastTimestamp: '2025-03-01T10:00:00Z',
    source: { component: 'kubelet', host: 'node-b' },
    ...extra,
  };
}

/** Creates a workload object with a fixed uid, optionally controlled by `owner`. */
export function workload(
  api: FakeApiServer,
  kind: string,
  namespace: string,
  name: string,
  options: { owner?: { kind: string; name: string; uid: string; apiVersion: string }; labels?: Record<string, string>; annotations?: Record<string, string>; nodeName?: string } = {},
): { kind: string; name: string; namespace: string; uid: string; apiVersion: string } {
  const apiVersion = kind === 'Pod' ? 'v1' : kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const uid = `${kind.toLowerCase()}-${name}-uid`;
  api.create(COLLECTIONS[kind]!, {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      uid,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.owner ? { ownerReferences: [{ ...options.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    ...(options.nodeName ? { spec: { nodeName: options.nodeName, containers: [{ name: 'main', image: 'example/app:1.0' }] } } : {}),
  });
  return { kind, name, namespace, uid, apiVersion };
}
