/**
 * Hostile events against the real kube-apiserver (issue 12, items 4 and 5): core/v1 Event
 * creation validates neither `type` nor the involved object's `kind`, nor the length of its
 * name, so anyone who may create events can send:
 * - hundreds of distinct type/reason/kind values (one Prometheus series each, before the labels
 *   were bounded);
 * - an involved object named 5,000 dashes, against a many-star drop rule (exponential on a
 *   backtracking regex engine);
 * - a message that makes `/^(a+)+$/` backtrack.
 * Then 20 ordinary events must all reach the Collector exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type RouterProcess,
  collected,
  createNamespace,
  createSimpleEvents,
  delivery,
  e2eEnv,
  postCoreEvent,
  routerConfig,
  runId,
  scratchDir,
  simpleEvent,
  startRouter,
  waitFor,
} from './support.ts';
import { freePort } from './peer-process.ts';

describe('hostile events through the real kube-apiserver', () => {
  let router: RouterProcess | undefined;
  before(() => void e2eEnv());
  after(async () => {
    await router?.stop('SIGKILL');
  });

  it('bounds metric labels and runs hostile rules in linear time; 20 ordinary events arrive exactly once', async () => {
    const ns = runId('e2e-hostile');
    const clusterName = `${ns}-c`;
    await createNamespace(ns);
    const port = await freePort();
    const config = routerConfig({
      clusterName,
      namespaces: [ns],
      extra: { server: { listen: `127.0.0.1:${port}` }, drop: [{ name: '*-*-*-*-*-controller' }, { message: '/^(a+)+$/' }] },
    });
    router = startRouter(scratchDir(ns), 'router', config);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 'the router ready', 60_000, () => router!.stderr.slice(-1500));

    const hostile: string[] = [];
    for (let i = 0; i < 600; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) =>
        postCoreEvent(simpleEvent(ns, 'labels', { type: `Type${i + j}`, reason: `Reason${i + j}`, involvedObject: { kind: `Kind${i + j}`, name: 'x', namespace: ns, apiVersion: 'example.com/v1' } })),
      );
      for (const created of await Promise.all(batch)) hostile.push(created.metadata.uid);
    }
    const dashes = await postCoreEvent(simpleEvent(ns, 'dashes', { involvedObject: { kind: 'Pod', name: '-'.repeat(5000), namespace: ns, apiVersion: 'v1' } }));
    const backtrack = await postCoreEvent(simpleEvent(ns, 'backtrack', { message: `${'a'.repeat(4000)}b` }));
    hostile.push(dashes.metadata.uid, backtrack.metadata.uid);
    const ordinary = await createSimpleEvents(ns, 'ordinary', 20);

    const expected = [...hostile, ...ordinary].map((uid) => `${uid}/1`);
    await waitFor(
      () => new Set(collected(clusterName).map((r) => `${r.attributes['k8s.event.uid']}/${r.attributes['k8s.event.count']}`)).size >= expected.length,
      `all ${expected.length} events at the Collector`,
      120_000,
      () => `${collected(clusterName).length} so far; router stderr: ${router!.stderr.slice(-1500)}`,
    );
    const d = delivery(collected(clusterName), expected);
    const ordinaryMissing = d.missing.filter((k) => ordinary.some((uid) => k.startsWith(uid)));
    console.log(`# hostile e2e: ${ordinary.length - ordinaryMissing.length}/20 ordinary events delivered, ${ordinaryMissing.length} lost, ${d.duplicates} duplicates (after ${hostile.length} hostile events)`);
    assert.deepEqual(d.missing, []);
    assert.equal(d.duplicates, 0);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const series = metrics.split('\n').filter((line) => line.startsWith('eventrouter_events_total{'));
    console.log(`# hostile e2e: ${series.length} series of eventrouter_events_total for 622 events with 600 distinct type/reason/kind values`);
    assert.ok(series.length <= 260, `${series.length} series`);
    assert.ok(series.every((line) => line.includes(`cluster="${clusterName}"`)));
    assert.ok(series.some((line) => line.includes('type="other"') && line.includes('kind="other"')));
    assert.equal(router.child.exitCode, null);
    assert.equal((await router.stop('SIGTERM')).code, 0);
  });
});
