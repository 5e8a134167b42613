import type { FakeApiServer } from './fake-api-server.ts';

const EVENTS = '/api/v1/events';

/** A small deterministic PRNG (mulberry32), so a seeded simulation is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function microNow(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

type SimObject = { metadata: Record<string, unknown>; kind?: unknown; apiVersion?: unknown };

interface Ref {
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface SimulatorOptions {
  seed?: number;
  nodes?: string[];
}

/**
 * Plays realistic cluster stories against a {@link FakeApiServer}: a Deployment rollout, a
 * crash-looping pod, an unschedulable StatefulSet pod, a node going NotReady and back, a
 * CronJob run. It creates the workload objects (with ownerReferences, labels and the
 * `resource.opentelemetry.io/*` annotations where a real team would set them) and the Events
 * their controllers and kubelets emit, with the messages those components really write, and
 * keeps recurring events recurring (count and lastTimestamp advance: MODIFIED).
 */
export class ClusterSimulator {
  readonly #api: FakeApiServer;
  readonly #random: () => number;
  readonly #nodes: string[];
  #step = 0;
  #recurring: Array<{ namespace: string; name: string }> = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(api: FakeApiServer, options: SimulatorOptions = {}) {
    this.#api = api;
    this.#random = prng(options.seed ?? 42);
    this.#nodes = options.nodes ?? ['node-a', 'node-b', 'node-c'];
  }

  #suffix(length: number): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.#random() * alphabet.length)];
    return out;
  }

  #node(): string {
    return this.#nodes[Math.floor(this.#random() * this.#nodes.length)] ?? 'node-a';
  }

  #ref(object: { metadata: Record<string, unknown>; kind?: unknown; apiVersion?: unknown }, fieldPath?: string): Ref {
    const ref: Ref = {
      kind: String(object.kind),
      name: String(object.metadata['name']),
      uid: String(object.metadata['uid']),
      apiVersion: String(object.apiVersion),
      resourceVersion: String(object.metadata['resourceVersion']),
    };
    if (object.metadata['namespace'] !== undefined) ref.namespace = String(object.metadata['namespace']);
    if (fieldPath !== undefined) ref.fieldPath = fieldPath;
    return ref;
  }

  /** Emits a core/v1 Event the way its reporting component writes it. */
  event(
    about: Ref,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): { namespace: string; name: string } {
    const namespace = about.namespace ?? 'default';
    this.#seq += 1;
    const name = `${about.name}.${(Date.now() * 1000 + this.#seq).toString(16)}`;
    const timestamp = now();
    this.#api.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: about,
      reason,
      message,
      source: host ? { component, host } : { component },
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    });
    return { namespace, name };
  }

  /** A new-style event (eventTime, action, reportingController), as the scheduler writes them. */
  #schedulerEvent(about: Ref, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): { namespace: string; name: string } {
    const namespace = about.namespace ?? 'default';
    this.#seq += 1;
    const name = `${about.name}.${(Date.now() * 1000 + this.#seq).toString(16)}`;
    this.#api.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: about,
      reason,
      message,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      type,
      eventTime: microNow(),
      action: reason === 'Scheduled' ? 'Binding' : 'Scheduling',
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler-control-plane',
    });
    return { namespace, name };
  }

  /**
   * Makes a recurring event happen again (a MODIFIED notification), as its recorder would: a
   * new-style event (eventTime set, as the scheduler writes them) gains or advances a `series`
   * (count, lastObservedTime) and keeps its eventTime; a legacy one gets count + 1 and
   * lastTimestamp now. Advancing `count`/`lastTimestamp` on a new-style event instead would leave
   * eventTime — the first occurrence — as its newest time, and every repeat stamped with it.
   */
  repeat(namespace: string, name: string): void {
    if (this.#api.get(EVENTS, namespace, name) === undefined) return;
    this.#api.update(EVENTS, namespace, name, (event) => {
      const series = event['series'] as { count: number; lastObservedTime: string } | undefined;
      if (series) {
        series.count += 1;
        series.lastObservedTime = microNow();
      } else if (typeof event['eventTime'] === 'string') {
        // The original and this repeat.
        event['series'] = { count: 2, lastObservedTime: microNow() };
      } else {
        event['count'] = Number(event['count'] ?? 1) + 1;
        event['lastTimestamp'] = now();
      }
    });
  }

  #ensureNamespace(name: string): void {
    if (this.#api.get('/api/v1/namespaces', '', name) === undefined) {
      this.#api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  #create(collection: string, object: Record<string, unknown>): SimObject {
    return this.#api.create(collection, object) as SimObject;
  }

  /** A pod owned (controller: true) by `owner`, as its controller would create it. */
  #pod(name: string, namespace: string, owner: SimObject, options: { labels?: Record<string, string>; annotations?: Record<string, string>; node?: string; container?: string; image?: string } = {}): SimObject {
    const metadata: Record<string, unknown> = {
      name,
      namespace,
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata['name'], uid: owner.metadata['uid'], controller: true }],
    };
    if (options.labels) metadata['labels'] = options.labels;
    if (options.annotations) metadata['annotations'] = options.annotations;
    const spec = options.node ? { nodeName: options.node, containers: [{ name: options.container ?? 'main', image: options.image ?? '' }] } : undefined;
    return this.#create('/api/v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata, ...(spec ? { spec } : {}) });
  }

  /** The objects every story needs: namespaces, nodes, the kube-system namespace (cluster uid). */
  setup(): void {
    for (const ns of ['kube-system', 'default', 'shop', 'ml', 'reports']) this.#ensureNamespace(ns);
    for (const node of this.#nodes) {
      if (this.#api.get('/api/v1/nodes', '', node) === undefined) {
        this.#create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } });
      }
    }
  }

  /** A Deployment rolls out a new ReplicaSet with two pods. */
  rollout(app = 'checkout', namespace = 'shop', version = `1.${Math.floor(this.#random() * 9)}.${Math.floor(this.#random() * 9)}`): void {
    const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': app, 'app.kubernetes.io/version': version };
    let deployment = this.#api.get('/apis/apps/v1/deployments', namespace, app) as SimObject | undefined;
    deployment ??= this.#create('/apis/apps/v1/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace, labels },
      spec: { replicas: 2, template: { metadata: { labels } } },
    });
    const rsName = `${app}-${this.#suffix(10)}`;
    const rs = this.#create('/apis/apps/v1/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace,
        labels,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: deployment.metadata['uid'], controller: true }],
      },
    });
    this.event(this.#ref(deployment), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} to 2`, 'deployment-controller');
    for (let i = 0; i < 2; i++) {
      const podName = `${rsName}-${this.#suffix(5)}`;
      const node = this.#node();
      const pod = this.#pod(podName, namespace, rs, { labels, node, container: app, image: `registry.example.com/${app}:${version}` });
      this.event(this.#ref(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, 'replicaset-controller');
      this.#schedulerEvent(this.#ref(pod), 'Scheduled', `Successfully assigned ${namespace}/${podName} to ${node}`);
      const container = this.#ref(pod, `spec.containers{${app}}`);
      const image = `registry.example.com/${app}:${version}`;
      this.event(container, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet', node);
      this.event(container, 'Normal', 'Pulled', `Successfully pulled image "${image}" in 1.873s (1.873s including waiting). Image size: 48210392 bytes.`, 'kubelet', node);
      this.event(container, 'Normal', 'Created', `Created container: ${app}`, 'kubelet', node);
      this.event(container, 'Normal', 'Started', `Started container ${app}`, 'kubelet', node);
    }
  }

  /** A pod whose container keeps crashing: BackOff recurs (count grows) and a liveness probe fails. */
  crashLoop(app = 'payments', namespace = 'shop'): void {
    const labels = { 'app.kubernetes.io/name': app };
    const deployment = this.#create('/apis/apps/v1/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace, labels, annotations: { 'resource.opentelemetry.io/service.name': `${app}-api` } },
    });
    const rsName = `${app}-${this.#suffix(9)}`;
    const rs = this.#create('/apis/apps/v1/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rsName, namespace, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: deployment.metadata['uid'], controller: true }] },
    });
    const podName = `${rsName}-${this.#suffix(5)}`;
    const node = this.#node();
    const pod = this.#pod(podName, namespace, rs, { labels, annotations: { 'resource.opentelemetry.io/service.name': `${app}-api` }, node, container: app });

    const container = this.#ref(pod, `spec.containers{${app}}`);
    this.event(container, 'Warning', 'Unhealthy', 'Liveness probe failed: Get "http://10.244.1.17:8080/healthz": dial tcp 10.244.1.17:8080: connect: connection refused', 'kubelet', node);
    this.#recurring.push(
      this.event(container, 'Warning', 'BackOff', `Back-off restarting failed container ${app} in pod ${podName}_${namespace}(${String(pod.metadata['uid'])})`, 'kubelet', node),
    );
  }

  /** A StatefulSet pod that no node can take: FailedScheduling recurs. */
  unschedulable(namespace = 'ml'): void {
    const sts = this.#create('/apis/apps/v1/statefulsets', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'trainer', namespace, labels: { 'app.kubernetes.io/name': 'trainer', 'app.kubernetes.io/version': '2.3.0' } },
    });
    const pod = this.#create('/api/v1/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'trainer-0',
        namespace,
        labels: { 'app.kubernetes.io/name': 'trainer', 'app.kubernetes.io/version': '2.3.0' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'trainer', uid: sts.metadata['uid'], controller: true }],
      },
    });
    this.event(this.#ref(sts), 'Normal', 'SuccessfulCreate', 'create Pod trainer-0 in StatefulSet trainer successful', 'statefulset-controller');
    this.#recurring.push(
      this.#schedulerEvent(
        this.#ref(pod),
        'FailedScheduling',
        `0/${this.#nodes.length} nodes are available: ${this.#nodes.length} Insufficient nvidia.com/gpu. preemption: 0/${this.#nodes.length} nodes are available: ${this.#nodes.length} No preemption victims found for incoming pod.`,
        'Warning',
      ),
    );
  }

  /** A node stops reporting, then comes back. */
  nodeFlap(node = this.#nodes[this.#nodes.length - 1] ?? 'node-c'): void {
    const object = this.#api.get('/api/v1/nodes', '', node);
    if (object === undefined) return;
    const ref: Ref = { kind: 'Node', name: node, uid: node, apiVersion: 'v1' };
    this.event(ref, 'Normal', 'NodeNotReady', `Node ${node} status is now: NodeNotReady`, 'node-controller');
    this.event(ref, 'Normal', 'NodeHasSufficientMemory', `Node ${node} status is now: NodeHasSufficientMemory`, 'kubelet', node);
    this.event(ref, 'Normal', 'NodeReady', `Node ${node} status is now: NodeReady`, 'kubelet', node);
  }

  /** A CronJob starts a Job whose pod runs to completion. */
  cronRun(namespace = 'reports'): void {
    let cron = this.#api.get('/apis/batch/v1/cronjobs', namespace, 'nightly-report') as SimObject | undefined;
    cron ??= this.#create('/apis/batch/v1/cronjobs', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly-report', namespace } });
    const jobName = `nightly-report-${29000000 + Math.floor(this.#random() * 999999)}`;
    const job = this.#create('/apis/batch/v1/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, namespace, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly-report', uid: cron.metadata['uid'], controller: true }] },
    });
    const podName = `${jobName}-${this.#suffix(5)}`;
    const node = this.#node();
    const pod = this.#create('/api/v1/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata['uid'], controller: true }] },
    });
    this.event(this.#ref(cron), 'Normal', 'SuccessfulCreate', `Created job ${jobName}`, 'cronjob-controller');
    this.event(this.#ref(job), 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, 'job-controller');
    this.event(this.#ref(pod, 'spec.containers{report}'), 'Normal', 'Started', 'Started container report', 'kubelet', node);
    this.event(this.#ref(job), 'Normal', 'Completed', 'Job completed', 'job-controller');
    this.event(this.#ref(cron), 'Normal', 'SawCompletedJob', `Saw completed job: ${jobName}, condition: Complete`, 'cronjob-controller');
  }

  /** One step of the never-ending story: new stories now and then, recurring events always. */
  tick(): void {
    const step = this.#step++;
    const stories = [() => this.rollout(), () => this.crashLoop(`worker-${this.#suffix(3)}`, 'shop'), () => this.nodeFlap(), () => this.cronRun()];
    if (step === 0) {
      this.setup();
      this.rollout();
      this.crashLoop();
      this.unschedulable();
      return;
    }
    for (const recurring of this.#recurring) if (this.#random() < 0.5) this.repeat(recurring.namespace, recurring.name);
    if (step % 4 === 0) stories[Math.floor(this.#random() * stories.length)]?.();
    // Keep the story bounded: old crash loops heal.
    if (this.#recurring.length > 6) this.#recurring.shift();
  }

  start(intervalMs = 1000): void {
    this.tick();
    this.#timer = setInterval(() => this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
