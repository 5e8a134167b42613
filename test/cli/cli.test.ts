import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { baseEnv, children, dir, run, start, writeConfig, writeKubeconfig } from '../support/cli-process.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';
import { podEvent } from '../support/harness.ts';
import { OtlpReceiver, waitFor } from '../support/otlp-receiver.ts';

describe('eventrouter CLI', () => {
  it('prints its version and help', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /eventrouter demo/);
    assert.match(help.stdout, /replay FILE/);
  });

  it('exits 2 and names every invalid key of a config file', async () => {
    const path = writeConfig('bad.yaml', [
      'source:',
      '  api: core/v2',
      '  pageSize: -3',
      'sinks:',
      '  - name: a',
      '    type: otlp',
      '    protocol: carrier-pigeon',
      '  - name: a',
      '    type: stdout',
      '    match: [{ reason: "/([/" }]',
      'bogus: 1',
    ].join('\n'));
    const result = await run(['--config', path]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /source\.api:/);
    assert.match(result.stderr, /source\.pageSize:/);
    assert.match(result.stderr, /sinks\[0\]\.protocol:/);
    assert.match(result.stderr, /bogus: unknown key/);
    const dupes = await run(['--config', writeConfig('dupes.yaml', 'sinks:\n  - {name: a, type: stdout}\n  - {name: a, type: stdout, match: [{reason: "/([/"}]}\n')]);
    assert.equal(dupes.code, 2);
    assert.match(dupes.stderr, /sinks\[1\]\.name: duplicate sink name "a"/);
    assert.match(dupes.stderr, /sinks\[1\]\.match\[0\]\.reason:/);
  });

  it('exits 2 on YAML that does not parse, on a missing file, and on an unknown command', async () => {
    assert.equal((await run(['--config', writeConfig('broken.yaml', 'source: [unclosed\n')])).code, 2);
    assert.equal((await run(['--config', join(dir, 'missing.yaml')])).code, 2);
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('reads the config from EVENTROUTER_CONFIG', async () => {
    const path = writeConfig('env.yaml', 'clusterName: from-env\nsinks: [{name: out, type: stdout}]\n');
    const result = await run(['config', 'check'], baseEnv({ EVENTROUTER_CONFIG: path }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).clusterName, 'from-env');
  });

  it('config check redacts literal header values and passwords in URLs', async () => {
    const path = writeConfig('secrets.yaml', [
      'sinks:',
      '  - name: loki',
      '    type: otlp',
      '    endpoint: https://tenant:s3cr3t-pass@loki.example.com:4318',
      '    headers: {Authorization: "Bearer s3cr3t-token", X-Scope-OrgID: {env: HOME}}',
      'selfMetrics: {otlpEndpoint: "http://user:s3cr3t-metrics@collector:4318"}',
      '',
    ].join('\n'));
    const result = await run(['config', 'check', '--config', path]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /s3cr3t/);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.sinks[0].headers.Authorization, '<redacted>');
    assert.deepEqual(printed.sinks[0].headers['X-Scope-OrgID'], { env: 'HOME' }, 'a reference to a secret is not itself secret');
    assert.equal(printed.sinks[0].endpoint, 'https://<redacted>@loki.example.com:4318');
    assert.equal(printed.selfMetrics.otlpEndpoint, 'http://<redacted>@collector:4318');
  });

  it('prints a JSON Schema of the config', async () => {
    const result = await run(['config', 'schema']);
    assert.equal(result.code, 0);
    const schema = JSON.parse(result.stdout);
    assert.ok(schema.properties.source.properties.api);
    assert.ok(schema.properties.sinks);
  });

  it('replays a kubectl dump through the mapping to stdout, one JSON object per event', async () => {
    const result = await run(['replay', join(FIXTURES_DIR, 'troubleshoot-supportbundle-default-eventlist.json')]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 5);
    for (const line of lines) {
      assert.equal(line.eventName, 'k8s.event');
      assert.ok(line.resource['k8s.namespace.name']);
      assert.ok(line.attributes['k8s.event.uid']);
    }
    const yaml = await run(['replay', join(FIXTURES_DIR, 'openshift-mustgather-aws-default-eventlist.yaml')]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal(yaml.stdout.trim().split('\n').length, 72);
  });

  it('runs the demo against the simulated cluster and shows events within seconds', async () => {
    const result = await run(['demo', '--duration', '3s', '--interval', '200ms']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ScalingReplicaSet/);
    assert.match(result.stdout, /BackOff/);
    assert.match(result.stdout, /FailedScheduling/);
    // Every simulated event gives at least one record (a repeat gives more), however many the
    // machine's load let the simulation play.
    const summary = /(\d+) records exported from (\d+) simulated events/.exec(result.stdout);
    assert.ok(summary && Number(summary[2]) > 0 && Number(summary[1]) >= Number(summary[2]), result.stdout.slice(-300));
  });

  describe('against a cluster, by signal', () => {
    let api: FakeApiServer;
    let receiver: OtlpReceiver;
    let env: NodeJS.ProcessEnv;
    let config: string;
    const checkpoint = join(dir, 'checkpoint.json');

    before(async () => {
      api = new FakeApiServer();
      await api.start();
      receiver = new OtlpReceiver();
      await receiver.start();
      const kubeconfig = writeKubeconfig('kubeconfig', api.url);
      config = writeConfig('run.yaml', [
        'clusterName: cli-test',
        `checkpoint: {store: file, path: "${checkpoint}"}`,
        'source: {minBackoff: 50ms, maxBackoff: 500ms}',
        'server: {listen: "127.0.0.1:0"}',
        `sinks: [{name: otlp, type: otlp, endpoint: "${receiver.url}", batchTimeout: 50ms, maxBatchSize: 25}]`,
      ].join('\n'));
      env = baseEnv({ KUBECONFIG: kubeconfig, EVENTROUTER_LOG_LEVEL: 'warn' });
    });
    after(async () => {
      for (const child of children) child.kill('SIGKILL');
      await api.stop();
      await receiver.stop();
    });

    const keys = () => receiver.logs.map((l) => `${l.attributes['k8s.event.uid']}/${l.attributes['k8s.event.count']}`);

    it('drains, writes the checkpoint and exits 0 on SIGTERM; the next start sends only what is new', async () => {
      for (let i = 0; i < 100; i++) api.create('/api/v1/events', podEvent());
      const first = start(['--config', config], env);
      await waitFor(() => receiver.logs.length >= 100, 'the first 100 events');
      for (let i = 0; i < 50; i++) api.create('/api/v1/events', podEvent());
      await waitFor(() => receiver.logs.length >= 150, 'the watched events');
      first.child.kill('SIGTERM');
      const result = await first.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(readFileSync(checkpoint, 'utf8')).scopes[''], api.resourceVersion);
      for (let i = 0; i < 30; i++) api.create('/api/v1/events', podEvent());
      const second = start(['--config', config], env);
      await waitFor(() => receiver.logs.length >= 180, 'the events of the downtime');
      // Everything up to the last event acknowledged (the checkpoint is written after each batch):
      // whatever it would send twice, it has sent by now.
      await waitFor(() => JSON.parse(readFileSync(checkpoint, 'utf8')).scopes[''] === api.resourceVersion, 'the checkpoint at the last event');
      second.child.kill('SIGINT');
      assert.equal((await second.done).code, 0);
      assert.equal(receiver.logs.length, 180);
      assert.equal(new Set(keys()).size, 180, 'no duplicates across a graceful restart');
    });

    it('honours a SIGTERM that arrives while it is still starting: drains and exits 0', async () => {
      const early = start(['--config', config], { ...env, EVENTROUTER_LOG_LEVEL: 'trace' });
      let stderr = '';
      early.child.stderr?.on('data', (d) => (stderr += d));
      // Signal as soon as the handlers are in place, while the router's modules are still loading.
      await waitFor(() => stderr.includes('signal handlers installed'), 'the signal handlers');
      assert.ok(!stderr.includes('serving') && !stderr.includes('starting without'), 'still starting');
      early.child.kill('SIGTERM');
      const result = await early.done;
      assert.equal(result.signal, null, 'not killed by the signal');
      assert.equal(result.code, 0, result.stderr);
    });

    it('after SIGKILL in the middle of the first LIST resumes after the acknowledged pages', async () => {
      const listApi = new FakeApiServer();
      await listApi.start();
      const listReceiver = new OtlpReceiver();
      await listReceiver.start();
      try {
        for (let i = 0; i < 3000; i++) listApi.create('/api/v1/events', podEvent({}, `ns-${i % 30}`));
        const kubeconfig = writeKubeconfig('kubeconfig-list', listApi.url);
        const listConfig = writeConfig('list.yaml', [
          `checkpoint: {store: file, path: "${join(dir, 'list-checkpoint.json')}"}`,
          'source: {pageSize: 50, minBackoff: 50ms}',
          'server: {listen: ""}',
          'enrich: {owners: false}',
          `sinks: [{name: otlp, type: otlp, endpoint: "${listReceiver.url}", batchTimeout: 20ms, maxBatchSize: 25}]`,
        ].join('\n'));
        const listEnv = baseEnv({ KUBECONFIG: kubeconfig, EVENTROUTER_LOG_LEVEL: 'warn' });
        const listKeys = () => listReceiver.logs.map((l) => `${l.attributes['k8s.event.uid']}/${l.attributes['k8s.event.count']}`);
        const victim = start(['--config', listConfig], listEnv);
        await waitFor(() => listReceiver.logs.length >= 1000, 'a third of the list');
        victim.child.kill('SIGKILL');
        await victim.done;
        const checkpoint = JSON.parse(readFileSync(join(dir, 'list-checkpoint.json'), 'utf8'));
        assert.ok(checkpoint.listing?.[''], 'the checkpoint records how far the list got');
        const survivor = start(['--config', listConfig], listEnv);
        await waitFor(() => new Set(listKeys()).size >= 3000, 'the rest of the list');
        survivor.child.kill('SIGTERM');
        assert.equal((await survivor.done).code, 0);
        const all = listKeys();
        assert.equal(new Set(all).size, 3000, 'nothing lost');
        assert.ok(all.length - 3000 <= 50 + 25, `duplicates ${all.length - 3000} > one page and one batch`);
      } finally {
        await listApi.stop();
        await listReceiver.stop();
      }
    });

    it('after SIGKILL mid-stream re-sends at most one batch, each duplicate with its original key', async () => {
      const before = receiver.logs.length;
      const producer = setInterval(() => {
        for (let i = 0; i < 20; i++) api.create('/api/v1/events', podEvent());
      }, 20);
      const victim = start(['--config', config], env);
      await waitFor(() => receiver.logs.length >= before + 200, 'a stream in flight');
      victim.child.kill('SIGKILL');
      await victim.done;
      clearInterval(producer);
      const produced = api.count('/api/v1/events');
      const survivor = start(['--config', config], env);
      await waitFor(() => new Set(keys()).size >= produced, 'every event after the restart');
      survivor.child.kill('SIGTERM');
      assert.equal((await survivor.done).code, 0);
      const all = keys();
      const unique = new Set(all);
      assert.equal(unique.size, produced, 'nothing lost');
      assert.ok(all.length - unique.size <= 25, `duplicates ${all.length - unique.size} > one batch (25)`);
    });
  });
});
