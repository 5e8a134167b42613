/** The renderer of docs/correlation.md's generated section, on hand-made data (no cluster needed). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEGIN, type CorrelationData, END, cells, explain, renderCorrelation, spliceSection } from './render-correlation.ts';

const pod = { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-1', 'k8s.deployment.name': 'web', 'service.name': 'web-svc' };
const data = (event: Record<string, unknown>, category: 'pod-container' | 'pod' | 'workload' = 'pod-container'): CorrelationData => ({
  generatedAt: '2026-12-03T00:00:00.000Z',
  versions: { eventrouter: '0.0.0' },
  processorConfig: { auth_type: 'kubeConfig' },
  subjects: [{ label: 'Pod web-1', category, setup: '', reason: 'Started', event, span: { ...pod, 'k8s.container.name': 'app' }, metric: { ...pod, 'k8s.container.name': 'app' }, telemetryPod: 'web-1' }],
});

describe('render-correlation', () => {
  it('marks equal keys as agree and leaves keys neither side has out', () => {
    const all = cells(data({ ...pod, 'k8s.container.name': 'app' }));
    assert.deepEqual(all.map((c) => c.verdict), ['agree', 'agree', 'agree', 'agree', 'agree']);
  });

  it('finds no explanation for a difference on a container event, so the test that uses it fails', () => {
    const [diff] = cells(data({ ...pod, 'k8s.container.name': 'app', 'service.name': 'other' })).filter((c) => c.verdict !== 'agree');
    assert.equal(diff?.verdict, 'differ');
    assert.equal(explain(diff!), undefined);
    assert.match(renderCorrelation(data({ ...pod, 'service.name': 'other' })), /UNEXPLAINED ≠ `service.name`/);
  });

  it('explains the container keys a pod-level event lacks, and a workload event\'s own service.name', () => {
    const podLevel = cells(data(pod, 'pod')).filter((c) => c.verdict !== 'agree');
    assert.deepEqual(podLevel.map((c) => [c.key, c.verdict, explain(c)?.id]), [['k8s.container.name', 'telemetry only', 'pod-no-container']]);
    const workload = cells(data({ 'k8s.namespace.name': 'shop', 'k8s.deployment.name': 'web', 'service.name': 'web' }, 'workload')).filter((c) => c.verdict !== 'agree');
    assert.deepEqual(workload.map((c) => [c.key, explain(c)?.id]), [['k8s.pod.name', 'workload-no-pod'], ['k8s.container.name', 'workload-no-pod'], ['service.name', 'workload-service']]);
  });

  it('replaces only the generated section of the document', () => {
    const doc = `# Title\n\nprose\n\n${BEGIN}\nold\n${END}\n\n## After\n`;
    const out = spliceSection(doc, `${BEGIN}\nnew\n${END}`);
    assert.equal(out, `# Title\n\nprose\n\n${BEGIN}\nnew\n${END}\n\n## After\n`);
    assert.match(spliceSection('# No markers\n', `${BEGIN}\nx\n${END}`), /# No markers\n\n<!-- BEGIN/);
  });
});
