import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEPLOY } from './manifests.ts';

interface Target {
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  targets: Target[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'eventrouter-events.json'), 'utf8')) as Dashboard;
const readme = readFileSync(join(DEPLOY, 'grafana', 'README.md'), 'utf8');
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

describe('Grafana dashboard (deploy/grafana/eventrouter-events.json)', () => {
  it('has a Loki datasource variable that every panel and query uses', () => {
    const datasource = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.equal(datasource?.type, 'datasource');
    assert.equal(datasource?.query, 'loki');
    for (const panel of dashboard.panels) {
      assert.deepEqual(panel.datasource, { type: 'loki', uid: '${datasource}' }, panel.title);
      for (const target of panel.targets) assert.deepEqual(target.datasource, panel.datasource, panel.title);
    }
  });

  it('has cluster and namespace variables from the k8s_cluster_name / k8s_namespace_name labels', () => {
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal((byName.get('cluster')?.query as { label: string }).label, 'k8s_cluster_name');
    assert.equal((byName.get('namespace')?.query as { label: string }).label, 'k8s_namespace_name');
  });

  it('has the four panels: events over time, top warning reasons, warnings by object, logs', () => {
    assert.deepEqual(
      dashboard.panels.map((p) => p.type),
      ['timeseries', 'bargauge', 'table', 'logs'],
    );
  });

  it('selects by cluster and namespace and keeps eventrouter records only, in every query', () => {
    for (const expr of exprs) {
      assert.match(expr, /\{k8s_cluster_name=~"\$cluster", k8s_namespace_name=~"\$namespace"\} \| scope_name="eventrouter"/, expr);
    }
  });

  it('writes queries with balanced brackets and only defined variables', () => {
    const defined = new Set([...dashboard.templating.list.map((v) => v.name), '__auto', '__range', '__interval']);
    for (const expr of exprs) {
      for (const [open, close] of [['(', ')'], ['{', '}'], ['[', ']']] as const) {
        assert.equal(expr.split(open).length, expr.split(close).length, `${open}${close} in ${expr}`);
      }
      for (const [, name] of expr.matchAll(/\$(\w+)/g)) assert.ok(defined.has(name ?? ''), `$${name} in ${expr}`);
    }
  });

  it('documents every query in deploy/grafana/README.md', () => {
    const flat = readme.replace(/\s+/g, ' ');
    for (const expr of exprs) {
      // The README wraps long queries; compare without whitespace.
      assert.ok(flat.replace(/\s/g, '').includes(expr.replace(/\s/g, '')), `README documents: ${expr}`);
    }
  });
});
