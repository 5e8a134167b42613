import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { App } from '../../src/app/app.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import { startApp, testConfig } from '../support/harness.ts';
import { type Sample, parseSamples } from '../support/metric-samples.ts';

interface Selector {
  name: string;
  /** Label sets the alert reads: `outcome=~"failed|too_large"` is two, each of which must exist. */
  labelSets: Array<Record<string, string>>;
  /** Inside increase()/rate(): the alert needs a sample at 0 before the first count. */
  counted: boolean;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The alert expressions the project ships: the README's "Alerts worth having" paragraph and the
 * `expr` of every Prometheus rules file under deploy/ (the chart's PrometheusRule, if any).
 */
function alertExpressions(): string[] {
  const expressions: string[] = [];
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('Alerts worth having:');
  if (start >= 0) {
    const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
    for (const [, expression] of paragraph.matchAll(/`([^`]+)`/g)) expressions.push(expression!);
  }
  for (const file of readdirSync(join(ROOT, 'deploy'), { recursive: true, encoding: 'utf8' })) {
    if (!/\.ya?ml$/.test(file)) continue;
    let document: unknown;
    try {
      document = parseYaml(readFileSync(join(ROOT, 'deploy', file), 'utf8'));
    } catch {
      continue; // a Helm template, not YAML until rendered
    }
    const groups = (document as { groups?: unknown } | null)?.groups;
    if (!Array.isArray(groups)) continue;
    for (const group of groups as Array<{ rules?: Array<{ expr?: unknown }> }>) {
      for (const rule of group.rules ?? []) if (typeof rule.expr === 'string') expressions.push(rule.expr);
    }
  }
  assert.ok(expressions.length > 0, 'no alert found in README.md or in a rules file under deploy/');
  return expressions;
}

/** The metric selectors of the shipped alert expressions. */
function alertSelectors(): Selector[] {
  const selectors: Selector[] = [];
  for (const expression of alertExpressions()) {
    for (const match of expression.matchAll(/(eventrouter_\w+)(?:\{([^}]*)\})?/g)) {
      let labelSets: Array<Record<string, string>> = [{}];
      for (const [, label, op, value] of (match[2] ?? '').matchAll(/(\w+)(=~|=)"([^"]*)"/g)) {
        // A regular expression of plain alternatives names each value it matches.
        assert.ok(op === '=' || /^[\w-]+(\|[\w-]+)*$/.test(value!), `${label}${op}"${value}": only = and =~ of plain alternatives are understood here`);
        const values = op === '=' ? [value!] : value!.split('|');
        labelSets = labelSets.flatMap((set) => values.map((v) => ({ ...set, [label!]: v })));
      }
      const before = expression.slice(0, match.index);
      selectors.push({ name: match[1]!, labelSets, counted: /\b(?:increase|rate)\($/.test(before) });
    }
  }
  return selectors;
}

describe('the series the shipped alerts use, right after start-up', () => {
  let api: FakeApiServer;
  let app: App;
  let samples: Sample[];
  const sinks = ['collector', 'console'];

  before(async () => {
    api = new FakeApiServer();
    await api.start();
    app = await startApp({
      apiUrl: api.url,
      config: testConfig({
        server: { listen: '127.0.0.1:0' },
        sinks: [
          { name: 'collector', type: 'otlp', endpoint: 'http://127.0.0.1:9', protocol: 'http/protobuf' },
          { name: 'console', type: 'stdout' },
        ],
      }),
    });
    // Before any event: the cluster holds none, and nothing has been exported or has failed.
    samples = parseSamples(await (await fetch(`http://${app.serverAddress}/metrics`)).text());
  });
  after(async () => {
    await app?.stop(2000);
    await api?.stop();
  });

  it('finds the alerts', () => {
    const names = new Set(alertSelectors().map((s) => s.name));
    assert.ok(names.has('eventrouter_records_total') && names.has('eventrouter_checkpoint_discarded_total'), [...names].join(', '));
  });

  for (const { name, labelSets, counted } of alertSelectors()) {
    for (const labels of labelSets) {
      const shown = `${name}${JSON.stringify(labels)}`;
      it(`serves ${shown}${counted ? ' at 0, so its first increase fires the alert' : ''}`, () => {
        const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
        assert.ok(found.length > 0, `${shown} is not on /metrics`);
        if (counted) assert.deepEqual(found.filter((s) => s.value !== 0), [], `${shown} starts at 0`);
      });
    }
  }

  it('has eventrouter_records_total of every outcome the alerts watch at 0 for every sink, not only for one', () => {
    const outcomes = alertSelectors()
      .filter((s) => s.name === 'eventrouter_records_total')
      .flatMap((s) => s.labelSets.map((labels) => labels['outcome']));
    assert.ok(outcomes.includes('failed'), outcomes.join(', '));
    for (const sink of sinks) {
      for (const outcome of outcomes) {
        const found = samples.filter((s) => s.name === 'eventrouter_records_total' && s.labels['sink'] === sink && s.labels['outcome'] === outcome);
        assert.deepEqual(found.map((s) => s.value), [0], `${sink} ${outcome}`);
      }
    }
  });

  it('has eventrouter_checkpoint_discarded_total at 0 for every reason a resume can start over', () => {
    const reasons = samples.filter((s) => s.name === 'eventrouter_checkpoint_discarded_total').map((s) => `${s.labels['reason']}=${s.value}`);
    assert.deepEqual(reasons.sort(), ['ahead-of-cluster=0', 'invalid=0', 'other-api=0', 'other-cluster=0', 'too-large=0']);
  });
});
