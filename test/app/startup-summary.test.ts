import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startupSummary } from '../../src/app/startup-summary.ts';
import { parseConfig } from '../../src/config/load-config.ts';

const config = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => parseConfig(raw, env);

describe('start-up summary', () => {
  it('names the version, the API and namespaces watched, and "all" when none are listed', () => {
    const all = startupSummary(config({ sinks: [{ name: 's', type: 'stdout' }] }), {}, '1.2.3', undefined, ['s']);
    assert.equal(all['version'], '1.2.3');
    assert.equal(all['api'], 'core/v1');
    assert.equal(all['namespaces'], 'all');
    const some = startupSummary(config({ source: { api: 'events.k8s.io/v1', namespaces: ['a', 'b'] }, sinks: [{ name: 's', type: 'stdout' }] }), {}, '1.2.3', undefined, ['s']);
    assert.equal(some['api'], 'events.k8s.io/v1');
    assert.deepEqual(some['namespaces'], ['a', 'b']);
  });

  it('says where each OTLP sink sends and how, with the OTEL_EXPORTER_OTLP_* variables applied to the first one only', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://env-collector:4318', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' };
    const sinks = [
      { name: 'first', type: 'otlp' },
      { name: 'second', type: 'otlp', protocol: 'grpc', endpoint: 'http://grpc-collector:4317' },
      { name: 'out', type: 'stdout' },
    ];
    const summary = startupSummary(config({ sinks }, env), env, 'v', undefined, ['first', 'second', 'out']);
    assert.deepEqual(summary['sinks'], [
      { name: 'first', type: 'otlp', protocol: 'http/protobuf', endpoint: 'https://env-collector:4318/v1/logs', compression: 'gzip' },
      { name: 'second', type: 'otlp', protocol: 'grpc', endpoint: 'http://grpc-collector:4317', compression: 'none' },
      { name: 'out', type: 'stdout' },
    ]);
  });

  it('redacts the userinfo of an endpoint', () => {
    const sinks = [{ name: 'o', type: 'otlp', protocol: 'grpc', endpoint: 'https://user:p@ss@collector:4317' }];
    const [sink] = startupSummary(config({ sinks }), {}, 'v', undefined, ['o'])['sinks'] as Array<Record<string, string>>;
    assert.equal(sink?.['endpoint'], 'https://<redacted>@collector:4317');
  });

  it('calls a sink that runs in place of its entry (another name, or no entry) injected', () => {
    const summary = startupSummary(config({ sinks: [{ name: 's', type: 'stdout' }] }), {}, 'v', undefined, ['memory', 'extra']);
    assert.deepEqual(summary['sinks'], [{ name: 'memory', type: 'injected' }, { name: 'extra', type: 'injected' }]);
  });

  it('says where the checkpoint lives: a file, a ConfigMap (in the pod\'s namespace unless set), or nowhere', () => {
    const file = startupSummary(config({ checkpoint: { store: 'file', path: '/data/cp.json' } }), {}, 'v', undefined, []);
    assert.deepEqual(file['checkpoint'], { store: 'file', path: '/data/cp.json' });
    const inPod = startupSummary(config({ checkpoint: { store: 'configmap' } }), { POD_NAMESPACE: 'obs' }, 'v', undefined, []);
    assert.deepEqual(inPod['checkpoint'], { store: 'configmap', configMap: 'obs/eventrouter-checkpoint' });
    const set = startupSummary(config({ checkpoint: { store: 'configmap', namespace: 'team', configMapName: 'cp' } }), { POD_NAMESPACE: 'obs' }, 'v', undefined, []);
    assert.deepEqual(set['checkpoint'], { store: 'configmap', configMap: 'team/cp' });
    const nowhere = startupSummary(config({ checkpoint: { store: 'configmap' } }), {}, 'v', undefined, []);
    assert.deepEqual(nowhere['checkpoint'], { store: 'configmap', configMap: 'default/eventrouter-checkpoint' });
    assert.deepEqual(startupSummary(config({ checkpoint: { store: 'none' } }), {}, 'v', undefined, [])['checkpoint'], { store: 'none' });
  });

  it('names the Lease and who campaigns for it, or that this replica always leads', () => {
    const elected = config({ leaderElection: { enabled: true }, checkpoint: { store: 'configmap' } });
    assert.deepEqual(startupSummary(elected, { POD_NAMESPACE: 'obs' }, 'v', 'pod-a_1234', [])['leaderElection'], { lease: 'obs/eventrouter', identity: 'pod-a_1234' });
    const named = config({ leaderElection: { enabled: true, leaseName: 'er', leaseNamespace: 'ops' }, checkpoint: { store: 'configmap' } });
    assert.deepEqual(startupSummary(named, { POD_NAMESPACE: 'obs' }, 'v', 'id', [])['leaderElection'], { lease: 'ops/er', identity: 'id' });
    assert.equal(startupSummary(config({}), {}, 'v', undefined, [])['leaderElection'], 'off (this replica always leads)');
  });
});
