import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import type { SourceItem } from '../../src/source/source-item.ts';
import { watchSources } from '../../src/source/watch-sources.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';

const EVENTS = '/api/v1/events';

describe('watch sources (what run and the demo read)', () => {
  const api = new FakeApiServer();
  before(async () => void (await api.start()));
  after(async () => api.stop());

  const factory = (namespaces: string[]) =>
    watchSources({ client: KubeClient.fromServer(api.url), settings: testConfig({ source: { namespaces } }).source, metrics: new Metrics(), logger: silentLogger() });

  it('reads one scope per watched namespace, all namespaces as "" when none is listed, and resumes from the checkpoint', () => {
    assert.deepEqual(factory([]).scopes, ['']);
    assert.deepEqual(factory(['a', 'b']).scopes, ['a', 'b']);
    assert.equal(factory([]).resumes, true);
  });

  it('makes a watch source of its namespace that starts from the resourceVersion it is given', async () => {
    api.create(EVENTS, podEvent({}, 'a'));
    const from = api.resourceVersion;
    api.create(EVENTS, podEvent({ reason: 'Later' }, 'a'));
    api.create(EVENTS, podEvent({ reason: 'Elsewhere' }, 'b'));
    const items: SourceItem[] = [];
    const source = factory(['a']).create({ scope: 'a', start: { resourceVersion: from }, keepRaw: false, deliver: (batch) => void items.push(...batch) });
    await source.start();
    try {
      await waitFor(() => source.synced && items.some((item) => item.kind === 'event'), 'the watch from the checkpoint');
      const reasons = items.flatMap((item) => (item.kind === 'event' ? [item.event.reason] : []));
      assert.deepEqual(reasons, ['Later'], 'only what came after the checkpoint, only of its namespace');
      assert.equal(items.find((item) => item.kind === 'event')?.raw, undefined, 'the parsed object let go: no sink prints it');
      assert.equal(source.stalledMs, 0);
    } finally {
      await source.shutdown();
    }
  });
});
