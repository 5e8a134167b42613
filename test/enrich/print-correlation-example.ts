/**
 * Prints the decoded OTLP resource and log record of one event about a Deployment's pod, as a
 * Collector would receive it: simulated cluster (fake API server) → eventrouter with owner
 * enrichment → OTLP/HTTP protobuf → a receiver that decodes the request.
 * Run: node test/enrich/print-correlation-example.ts
 */
import { App } from '../../src/app/app.ts';
import { NoCheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { ClusterSimulator } from '../../src/sim/cluster-simulator.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { otlpSink } from '../support/sinks.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { testConfig } from '../support/harness.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';

const api = new FakeApiServer();
await api.start();
const receiver = new OtlpReceiver();
await receiver.start();
const sim = new ClusterSimulator(api, { seed: 7 });
sim.setup();
sim.rollout('checkout', 'shop', '1.4.2');
sim.crashLoop('payments', 'shop');

const app = new App({
  config: testConfig({ clusterName: 'prod-eu-1', enrich: { owners: true } }),
  client: KubeClient.fromServer(api.url),
  logger: silentLogger(),
  sinks: [otlpSink({ name: 'collector', endpoint: receiver.url, protocol: 'http/protobuf' }, { scope: { name: 'eventrouter', version: '0.1.0' } })],
  checkpointStore: new NoCheckpointStore(),
  env: {},
});
await app.start();
await waitFor(() => receiver.logs.some((l) => l.attributes['k8s.event.reason'] === 'BackOff') && receiver.logs.some((l) => l.attributes['k8s.event.reason'] === 'Started'), 'the events');
await app.stop(2000);
for (const reason of ['Started', 'BackOff']) {
  const log = receiver.logs.find((l) => l.attributes['k8s.event.reason'] === reason)!;
  console.log(JSON.stringify({ resource: log.resource, scope: log.scope, severityText: log.severityText, body: log.body, eventName: log.eventName, attributes: log.attributes }, null, 2));
}
await receiver.stop();
await api.stop();
