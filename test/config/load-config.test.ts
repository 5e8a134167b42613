import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configJsonSchema, configReferenceMarkdown, walk } from '../../src/config/json-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { configProblems } from '../support/harness.ts';

const problems = configProblems;

describe('configuration', () => {
  it('runs with no file at all: one OTLP sink from the OTEL_* environment, file checkpoint, server on :8080', () => {
    const config = parseConfig({}, {});
    assert.equal(config.sinks?.length, 1);
    assert.equal(config.sinks?.[0]?.type, 'otlp');
    assert.equal(config.sinks?.[0]?.type === 'otlp' && config.sinks[0].endpoint, undefined);
    assert.equal(config.checkpoint.store, 'file');
    assert.equal(config.server.listen, '0.0.0.0:8080');
    assert.equal(config.source.api, 'core/v1');
    assert.equal(config.shutdownTimeout, 25_000);
    assert.equal(config.leaderElection.leaseDuration, 15_000);
  });

  it('reports every problem with its key path, not just the first', () => {
    const found = problems({
      source: { api: 'v2', pageSize: 0, backfill: 'yesterday', watchTimeout: 'soon' },
      sinks: [{ name: 'x', type: 'carrier-pigeon' }, { name: 'y', type: 'otlp', endpoint: 'not a url' }],
      leaderElection: { enabled: 'yes' },
      extra: true,
    });
    const keys = found.map((p) => p.split(':')[0]);
    for (const key of ['source.api', 'source.pageSize', 'source.backfill', 'source.watchTimeout', 'sinks[0].type', 'sinks[1].endpoint', 'leaderElection.enabled', 'extra']) {
      assert.ok(keys.includes(key), `${key} missing from ${JSON.stringify(found)}`);
    }
  });

  it('reports a bad rule regex together with the other problems, with its key path', () => {
    const found = problems({
      source: { api: 'v2' },
      drop: [{ name: '/(a/' }],
      sinks: [
        { name: 'x', type: 'stdout', match: [{ message: '/(?<=x)y/', annotations: { owner: '/[/' } }] },
        { name: 'x', type: 'otlp', protocol: 'carrier-pigeon' },
      ],
    });
    const keys = found.map((p) => p.split(':')[0]);
    for (const key of ['source.api', 'drop[0].name', 'sinks[0].match[0].message', 'sinks[0].match[0].annotations.owner', 'sinks[1].protocol', 'sinks[1].name']) {
      assert.ok(keys.includes(key), `${key} missing from ${JSON.stringify(found)}`);
    }
  });

  it('refuses combinations that cannot work', () => {
    assert.deepEqual(problems({ leaderElection: { enabled: true }, checkpoint: { store: 'file' } }), [
      'checkpoint.store: leader election needs a store both replicas share (configmap), not "file"',
    ]);
    assert.ok(problems({ leaderElection: { leaseDuration: '5s', renewDeadline: '10s' } })[0]?.startsWith('leaderElection.renewDeadline'));
    assert.ok(problems({ sinks: [] })[0]?.startsWith('sinks:'));
    assert.ok(problems({ sinks: [{ name: 'a', type: 'otlp', tls: { certFile: '/etc/hostname' } }] }).some((p) => p.startsWith('sinks[0].tls:')));
  });

  it('takes EVENTROUTER_CLUSTER_NAME and EVENTROUTER_LOG_LEVEL from the environment', () => {
    const config = parseConfig({ clusterName: 'file' }, { EVENTROUTER_CLUSTER_NAME: 'env', EVENTROUTER_LOG_LEVEL: 'debug' });
    assert.equal(config.clusterName, 'env');
    assert.equal(config.log.level, 'debug');
    assert.ok(problems({}, { EVENTROUTER_LOG_LEVEL: 'loud' })[0]?.startsWith('log.level:'));
  });

  it('describes every key of the schema', () => {
    const missing: string[] = [];
    walk(configJsonSchema(), (path, node) => {
      if (path.endsWith('[]') && node.properties === undefined && node.anyOf === undefined) return;
      if (path.startsWith('sinks[].match[]') || path.startsWith('sinks[].drop[]')) return;
      if (!node.description) missing.push(path);
    });
    assert.deepEqual(missing, []);
  });

  it('keeps docs/configuration.md generated from the schema', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    assert.equal(committed, `${configReferenceMarkdown()}\n`, 'run: node src/cli/main.ts config reference > docs/configuration.md');
  });
});
