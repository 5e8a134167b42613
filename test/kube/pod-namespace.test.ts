import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podNamespace } from '../../src/kube/pod-namespace.ts';

describe('pod namespace', () => {
  it('is POD_NAMESPACE (the Downward API) when set', () => {
    assert.equal(podNamespace({ POD_NAMESPACE: 'observability' }), 'observability');
  });

  it('is "default" when POD_NAMESPACE is unset or empty (an empty namespace would address the cluster scope)', () => {
    assert.equal(podNamespace({}), 'default');
    assert.equal(podNamespace({ POD_NAMESPACE: '' }), 'default');
  });

  it('reads the environment given, not process.env', () => {
    const saved = process.env['POD_NAMESPACE'];
    process.env['POD_NAMESPACE'] = 'from-process-env';
    try {
      assert.equal(podNamespace({}), 'default');
    } finally {
      if (saved === undefined) delete process.env['POD_NAMESPACE'];
      else process.env['POD_NAMESPACE'] = saved;
    }
  });
});
