/**
 * The promise of docs/correlation.md against the real thing: the Collector's contrib
 * `k8s_attributes` processor, watching the same real kube-apiserver, enriches a span and a
 * metric of each pod; eventrouter enriches the events about the same pods and workloads. Both
 * land in one Collector's file output, where every join key is compared attribute by attribute.
 * The table goes to $EVENTROUTER_E2E_STATE/e2e/correlation.json, and into docs/correlation.md
 * when EVENTROUTER_E2E_WRITE_DOC=1 (test/e2e/correlation/render-correlation.ts).
 *
 * No controller runs: the Deployment → ReplicaSet → Pod, CronJob → Job → Pod and StatefulSet →
 * Pod chains are created by hand with their ownerReferences, and each pod's status (IP,
 * container statuses) is written to its status subresource as a kubelet would.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CorrelationData, type Subject, cells, explain, EXPLANATIONS, JOIN_KEYS, renderCorrelation, spliceSection } from './correlation/render-correlation.ts';
import { freePort, httpReady, type Peer, startPeer } from './peer-process.ts';
import {
  type RouterProcess,
  attributesOf,
  createNamespace,
  e2eEnv,
  execText,
  kubeOk,
  postCoreEvent,
  readOtlpFile,
  REPO,
  routerConfig,
  runId,
  scratchDir,
  startRouter,
  waitFor,
} from './support.ts';

const NODE = 'node-e2e-a';
/** Every join key compared, asked of the processor (which has no `k8s.cluster.name`: it is set in eventrouter's config). */
const PROCESSOR_METADATA = JOIN_KEYS.filter((key) => key !== 'k8s.cluster.name');

interface Obj {
  kind: string;
  apiVersion: string;
  name: string;
  uid: string;
}

const ref = (o: Obj) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: true, blockOwnerDeletion: true });

/** Resources of every span / metric in the Collector's file, with the scope name that says which pod sent it. */
function telemetryResources(path: string): { spans: Map<string, Record<string, unknown>>; metrics: Map<string, Record<string, unknown>> } {
  const spans = new Map<string, Record<string, unknown>>();
  const metrics = new Map<string, Record<string, unknown>>();
  if (!existsSync(path)) return { spans, metrics };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let request: any;
    try {
      request = JSON.parse(line);
    } catch {
      continue;
    }
    for (const rs of request.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.set(ss.scope?.name ?? '', attributesOf(rs.resource?.attributes));
    for (const rm of request.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) metrics.set(sm.scope?.name ?? '', attributesOf(rm.resource?.attributes));
  }
  return { spans, metrics };
}

const kv = (attrs: Record<string, string>) => Object.entries(attrs).map(([key, value]) => ({ key, value: { stringValue: value } }));

describe('correlation with the Collector k8sattributes processor (real kube-apiserver, real Collector)', () => {
  const ns = runId('e2e-corr');
  const dir = scratchDir(ns);
  const clusterName = `${ns}-er`;
  const out = join(dir, 'collector-out.json');
  let collector: Peer | undefined;
  let router: RouterProcess | undefined;
  let otlpHttp = '';
  let processorConfig: Record<string, unknown> = {};

  const create = async (path: string, body: Record<string, unknown>): Promise<Obj> => {
    const o = await kubeOk('POST', path, body);
    return { kind: o.kind, apiVersion: o.apiVersion, name: o.metadata.name, uid: o.metadata.uid };
  };
  const podTemplate = (labels: Record<string, string>, annotations: Record<string, string>, image: string) => ({
    metadata: { labels, annotations },
    spec: { containers: [{ name: 'app', image }] },
  });
  /** A Pod as its controller would create it, then its status as its kubelet would write it. */
  const pod = async (name: string, owner: Obj | undefined, labels: Record<string, string>, annotations: Record<string, string>, image: string, ip: string): Promise<Obj> => {
    const created = await create(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels, annotations, ...(owner ? { ownerReferences: [ref(owner)] } : {}) },
      spec: { nodeName: NODE, containers: [{ name: 'app', image }] },
    });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeOk(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/${name}/status`,
      {
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          hostIP: '10.0.0.10',
          startTime: now,
          containerStatuses: [
            {
              name: 'app',
              image,
              imageID: `${image.split(':')[0]}@sha256:${'0'.repeat(64)}`,
              containerID: `containerd://${created.uid.replace(/-/g, '')}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: now } },
            },
          ],
        },
      },
      {},
      'application/merge-patch+json',
    );
    return created;
  };

  before(async () => {
    e2eEnv();
    await createNamespace(ns);
    const [otlpPort, healthPort] = [await freePort(), await freePort()];
    otlpHttp = `http://127.0.0.1:${otlpPort}`;
    processorConfig = {
      auth_type: 'kubeConfig',
      wait_for_metadata: true,
      wait_for_metadata_timeout: '60s',
      extract: { metadata: PROCESSOR_METADATA, otel_annotations: true },
      pod_association: [
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.name' }, { from: 'resource_attribute', name: 'k8s.namespace.name' }] },
      ],
    };
    // JSON is YAML. Events go through a logs pipeline WITHOUT the processor: it would fill in
    // whatever eventrouter left out and hide the differences this test is about.
    const config = {
      extensions: { health_check: { endpoint: `127.0.0.1:${healthPort}` } },
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otlpPort}` } } } },
      processors: { k8s_attributes: processorConfig },
      exporters: { file: { path: out, format: 'json', flush_interval: '100ms' } },
      service: {
        extensions: ['health_check'],
        telemetry: { metrics: { level: 'none' } },
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['k8s_attributes'], exporters: ['file'] },
          metrics: { receivers: ['otlp'], processors: ['k8s_attributes'], exporters: ['file'] },
          logs: { receivers: ['otlp'], exporters: ['file'] },
        },
      },
    };
    writeFileSync(join(dir, 'collector.yaml'), JSON.stringify(config, null, 2));
  });

  after(async () => {
    await router?.stop('SIGKILL');
    await collector?.stop('SIGKILL');
  });

  it('gives events the same join keys as k8sattributes gives the pods\' spans and metrics', async () => {
    const env = e2eEnv();
    const apps = `/apis/apps/v1/namespaces/${ns}`;
    const batch = `/apis/batch/v1/namespaces/${ns}`;
    const selector = (app: string) => ({ matchLabels: { 'e2e-app': app } });

    // Deployment checkout: the well-known labels on the Deployment and on its pod template (as charts do).
    const checkoutLabels = { 'e2e-app': 'checkout', 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/instance': 'checkout-eu', 'app.kubernetes.io/version': '1.4.2' };
    const checkout = await create(`${apps}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'checkout', labels: checkoutLabels },
      spec: { replicas: 2, selector: selector('checkout'), template: podTemplate(checkoutLabels, {}, 'registry.example/shop/checkout:1.4.2-build7') },
    });
    const checkoutPodLabels = { ...checkoutLabels, 'pod-template-hash': '6f7d8c9b5' };
    const checkoutRs = await create(`${apps}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'checkout-6f7d8c9b5', labels: checkoutPodLabels, ownerReferences: [ref(checkout)] },
      spec: { replicas: 2, selector: selector('checkout'), template: podTemplate(checkoutPodLabels, {}, 'registry.example/shop/checkout:1.4.2-build7') },
    });
    const checkoutA = await pod('checkout-6f7d8c9b5-x2k4p', checkoutRs, checkoutPodLabels, {}, 'registry.example/shop/checkout:1.4.2-build7', '10.1.0.11');
    const checkoutB = await pod('checkout-6f7d8c9b5-q9z7m', checkoutRs, checkoutPodLabels, {}, 'registry.example/shop/checkout:1.4.2-build7', '10.1.0.12');

    // Deployment payments: the service name only as an annotation on the pod template; no version label.
    const paymentsAnnotations = { 'resource.opentelemetry.io/service.name': 'payments-api' };
    const payments = await create(`${apps}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'payments', labels: { 'e2e-app': 'payments' } },
      spec: { replicas: 1, selector: selector('payments'), template: podTemplate({ 'e2e-app': 'payments' }, paymentsAnnotations, 'registry.example/shop/payments:2.0.1') },
    });
    const paymentsPodLabels = { 'e2e-app': 'payments', 'pod-template-hash': '58d4b7c6d' };
    const paymentsRs = await create(`${apps}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'payments-58d4b7c6d', labels: paymentsPodLabels, annotations: paymentsAnnotations, ownerReferences: [ref(payments)] },
      spec: { replicas: 1, selector: selector('payments'), template: podTemplate(paymentsPodLabels, paymentsAnnotations, 'registry.example/shop/payments:2.0.1') },
    });
    const paymentsPod = await pod('payments-58d4b7c6d-7hvcx', paymentsRs, paymentsPodLabels, paymentsAnnotations, 'registry.example/shop/payments:2.0.1', '10.1.0.13');

    // StatefulSet ledger: app.kubernetes.io/name on both.
    const ledgerLabels = { 'e2e-app': 'ledger', 'app.kubernetes.io/name': 'ledger-db' };
    const ledger = await create(`${apps}/statefulsets`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'ledger', labels: ledgerLabels },
      spec: { replicas: 1, serviceName: 'ledger', selector: selector('ledger'), template: podTemplate(ledgerLabels, {}, 'registry.example/shop/ledger:15.4') },
    });
    const ledgerPod = await pod('ledger-0', ledger, { ...ledgerLabels, 'apps.kubernetes.io/pod-index': '0' }, {}, 'registry.example/shop/ledger:15.4', '10.1.0.14');

    // CronJob nightly-report → Job → Pod: no labels at all; the workload names decide.
    const jobSpec = { template: { metadata: {}, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'registry.example/shop/report:7' }] } } };
    const cronjob = await create(`${batch}/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly-report' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: jobSpec } },
    });
    const job = await create(`${batch}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly-report-29412345', ownerReferences: [ref(cronjob)] },
      spec: jobSpec,
    });
    const jobPod = await pod('nightly-report-29412345-8kq2w', job, { 'batch.kubernetes.io/job-name': job.name, 'job-name': job.name }, {}, 'registry.example/shop/report:7', '10.1.0.15');

    // A bare pod: its own name, an annotated service.namespace, an image without a tag.
    const bare = await pod('debug-shell', undefined, {}, { 'resource.opentelemetry.io/service.namespace': 'tools' }, 'busybox', '10.1.0.16');

    // The Collector starts after the objects exist: wait_for_metadata makes it ready once synced.
    const health = JSON.parse(readFileSync(join(dir, 'collector.yaml'), 'utf8')).extensions.health_check.endpoint;
    collector = await startPeer({
      name: 'otelcol-k8sattributes',
      bin: env.EVENTROUTER_E2E_OTELCOL,
      args: [`--config=${join(dir, 'collector.yaml')}`],
      dir,
      env: { KUBECONFIG: env.KUBECONFIG },
      ready: httpReady(`http://${health}/`),
    });

    // One span and one metric per pod, as an SDK sends them (OTLP/HTTP JSON), carrying only identity.
    const pods = [checkoutA, checkoutB, paymentsPod, ledgerPod, jobPod, bare];
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    for (const p of pods) {
      const scope = { name: `e2e-sdk/${p.name}` };
      const spanBody = {
        resourceSpans: [
          {
            resource: { attributes: kv({ 'k8s.pod.uid': p.uid, 'k8s.container.name': 'app' }) },
            scopeSpans: [
              {
                scope,
                spans: [
                  {
                    traceId: p.uid.replace(/-/g, ''),
                    spanId: p.uid.replace(/-/g, '').slice(0, 16),
                    name: 'GET /healthz',
                    kind: 2,
                    startTimeUnixNano: String(nowNs - 5_000_000n),
                    endTimeUnixNano: String(nowNs),
                  },
                ],
              },
            ],
          },
        ],
      };
      const metricBody = {
        resourceMetrics: [
          {
            resource: { attributes: kv({ 'k8s.pod.name': p.name, 'k8s.namespace.name': ns, 'k8s.container.name': 'app' }) },
            scopeMetrics: [{ scope, metrics: [{ name: 'e2e.requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '1', timeUnixNano: String(nowNs) }] } }] }],
          },
        ],
      };
      for (const [path, body] of [['/v1/traces', spanBody], ['/v1/metrics', metricBody]] as const) {
        const res = await fetch(otlpHttp + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
        assert.equal(res.status, 200, `${path}: ${await res.text()}`);
      }
    }

    // Events about each pod (a container event from the kubelet, a pod event from the scheduler) and each workload.
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    let seq = 0;
    const subjects: Array<{ uid: string; label: string; category: Subject['category']; setup: string; reason: string; telemetryPod: Obj }> = [];
    const event = async (about: Obj, reason: string, category: Subject['category'], telemetryPod: Obj, setup: string, message: string) => {
      const container = category === 'pod-container';
      const created = await postCoreEvent({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${about.name}.${(++seq).toString(16).padStart(8, '0')}`, namespace: ns },
        involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: about.name, namespace: ns, uid: about.uid, ...(container ? { fieldPath: 'spec.containers{app}' } : {}) },
        reason,
        message,
        type: 'Normal',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: container ? { component: 'kubelet', host: NODE } : { component: about.kind === 'Pod' ? 'default-scheduler' : `${about.kind.toLowerCase()}-controller` },
      });
      subjects.push({ uid: created.metadata.uid, label: `${about.kind} ${about.name}${category === 'pod-container' ? ' (container app)' : ''}`, category, setup, reason, telemetryPod });
    };
    const setups: Array<[Obj, string, Obj?]> = [
      [checkoutA, 'Pod and Deployment labelled `app.kubernetes.io/name`, `/instance`, `/version`.', checkout],
      [checkoutB, 'Second pod of the same ReplicaSet.'],
      [paymentsPod, 'Only the pod template has `resource.opentelemetry.io/service.name`; no version label (image `payments:2.0.1`).', payments],
      [ledgerPod, 'StatefulSet and pod labelled `app.kubernetes.io/name: ledger-db`; no version label (image `ledger:15.4`).', ledger],
      [jobPod, 'CronJob → Job → Pod, no labels: the workload names decide.', cronjob],
      [bare, 'No owner; `resource.opentelemetry.io/service.namespace: tools`; image `busybox` (no tag).'],
    ];
    for (const [p, setup] of setups) {
      await event(p, 'Started', 'pod-container', p, setup, 'Started container app');
      await event(p, 'Scheduled', 'pod', p, setup, `Successfully assigned ${ns}/${p.name} to ${NODE}`);
    }
    await event(checkout, 'ScalingReplicaSet', 'workload', checkoutA, 'Deployment labelled like its pods.', `Scaled up replica set ${checkoutRs.name} from 0 to 2`);
    await event(checkoutRs, 'SuccessfulCreate', 'workload', checkoutA, 'ReplicaSet of checkout (service.* from the Deployment\'s metadata).', `Created pod: ${checkoutA.name}`);
    await event(payments, 'ScalingReplicaSet', 'workload', paymentsPod, 'The Deployment itself carries no service annotation.', `Scaled up replica set ${paymentsRs.name} from 0 to 1`);
    await event(ledger, 'SuccessfulCreate', 'workload', ledgerPod, 'StatefulSet labelled like its pod.', `create Pod ${ledgerPod.name} in StatefulSet ledger successful`);
    await event(job, 'Completed', 'workload', jobPod, 'Job of the CronJob.', 'Job completed');
    await event(cronjob, 'SawCompletedJob', 'workload', jobPod, 'CronJob without labels.', `Saw completed job: ${job.name}, status: Complete`);

    // The router exports to this test's Collector rather than the shared one.
    router = startRouter(
      dir,
      'eventrouter',
      routerConfig({
        clusterName,
        namespaces: [ns],
        extra: { sinks: [{ name: 'collector', type: 'otlp', endpoint: otlpHttp, protocol: 'http/protobuf', batchTimeout: '200ms', initialBackoff: '200ms', maxBackoff: '2s' }] },
      }),
    );

    const records = () => readOtlpFile(out).filter((r) => r.resource['k8s.cluster.name'] === clusterName);
    await waitFor(
      () => {
        const t = telemetryResources(out);
        return t.spans.size >= pods.length && t.metrics.size >= pods.length && new Set(records().map((r) => r.attributes['k8s.event.uid'])).size >= subjects.length;
      },
      `${pods.length} spans, ${pods.length} metrics and ${subjects.length} event records in the Collector's output`,
      90_000,
      () => `${JSON.stringify([...telemetryResources(out).spans.keys()])}; ${records().length} records; router: ${router?.stderr.slice(-1500)}; collector: ${collector?.output.slice(-1500)}`,
    );
    const telemetry = telemetryResources(out);
    const byUid = new Map(records().map((r) => [String(r.attributes['k8s.event.uid']), r]));

    const data: CorrelationData = {
      generatedAt: new Date().toISOString(),
      versions: {
        eventrouter: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version,
        collector: (await execText(env.EVENTROUTER_E2E_OTELCOL, ['--version'])).trim(),
        k8sattributesprocessor: `${/E2E_K8SATTRIBUTES_VERSION=(\S+)/.exec(readFileSync(join(REPO, 'scripts/e2e-versions.sh'), 'utf8'))?.[1]} (contrib ${/E2E_OTELCOL_VERSION=(\S+)/.exec(readFileSync(join(REPO, 'scripts/e2e-versions.sh'), 'utf8'))?.[1]}; feature gates at their defaults)`,
        kubeApiserver: `${/E2E_KUBERNETES_VERSION=(\S+)/.exec(readFileSync(join(REPO, 'scripts/e2e-versions.sh'), 'utf8'))?.[1]} (scripts/e2e-versions.sh)`,
      },
      processorConfig,
      subjects: subjects.map((s) => {
        const record = byUid.get(s.uid);
        assert.ok(record, `the record of ${s.label} ${s.reason}`);
        const scope = `e2e-sdk/${s.telemetryPod.name}`;
        return {
          label: s.label,
          category: s.category,
          setup: s.setup,
          reason: s.reason,
          event: record.resource,
          span: telemetry.spans.get(scope) ?? {},
          metric: telemetry.metrics.get(scope) ?? {},
          telemetryPod: s.telemetryPod.name,
        };
      }),
    };
    writeFileSync(join(env.EVENTROUTER_E2E_STATE, 'e2e', 'correlation.json'), JSON.stringify(data, null, 1));
    const section = renderCorrelation(data);
    if (process.env['EVENTROUTER_E2E_WRITE_DOC'] === '1') {
      const doc = join(REPO, 'docs/correlation.md');
      writeFileSync(doc, spliceSection(readFileSync(doc, 'utf8'), section));
    }

    // k8sattributes found every pod, by uid (span) and by name + namespace (metric).
    for (const p of pods) {
      assert.equal(telemetry.spans.get(`e2e-sdk/${p.name}`)?.['k8s.pod.name'], p.name, `span of ${p.name} associated by uid`);
      assert.equal(telemetry.metrics.get(`e2e-sdk/${p.name}`)?.['k8s.pod.uid'], p.uid, `metric of ${p.name} associated by name`);
    }
    const all = cells(data);
    const verdicts = all.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.verdict]: (acc[c.verdict] ?? 0) + 1 }), {});
    console.log(`# correlation: ${data.subjects.length} events x join keys: ${JSON.stringify(verdicts)}`);
    const byExplanation = all.filter((c) => c.verdict !== 'agree').reduce<Record<string, number>>((acc, c) => ({ ...acc, [explain(c)?.id ?? 'UNEXPLAINED']: (acc[explain(c)?.id ?? 'UNEXPLAINED'] ?? 0) + 1 }), {});
    console.log(`#   not equal, by explanation: ${JSON.stringify(byExplanation)}`);
    for (const c of all.filter((x) => x.verdict === 'differ' || explain(x) === undefined && x.verdict !== 'agree')) {
      console.log(`#   ${c.verdict}: ${c.subject.label} ${c.subject.reason} ${c.key}: event ${JSON.stringify(c.event)} / telemetry ${JSON.stringify(c.telemetry)} (${explain(c)?.id ?? 'UNEXPLAINED'})`);
    }
    // The promise: an event about a container joins that container's telemetry on every key.
    assert.deepEqual(
      all.filter((c) => c.subject.category === 'pod-container' && c.verdict !== 'agree' && c.key !== 'k8s.cluster.name').map((c) => `${c.subject.label}: ${c.key} ${c.verdict} (${JSON.stringify(c.event)} / ${JSON.stringify(c.telemetry)})`),
      [],
    );
    // Everything else that is not equal is explained in docs/correlation.md, and every explanation there still happens.
    assert.deepEqual(
      all.filter((c) => c.verdict !== 'agree' && explain(c) === undefined).map((c) => `${c.subject.label}: ${c.key} ${c.verdict}`),
      [],
      'unexplained differences',
    );
    const used = new Set(all.filter((c) => c.verdict !== 'agree').map((c) => explain(c)?.id));
    assert.deepEqual(EXPLANATIONS.map((e) => e.id).filter((id) => !used.has(id)), [], 'explanations that no longer happen (remove them)');
    assert.ok(section.includes('| `k8s.deployment.uid` |'));
    assert.equal((await router.stop('SIGTERM')).code, 0, router.stderr.slice(-2000));
  });
});
