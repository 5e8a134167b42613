import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEPLOY, ROOT } from './manifests.ts';

/** The fenced code blocks of a Markdown text in `language`. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => m[1] ?? '');
}

/** Label names used in the stream selectors `{...}` of LogQL text (not `{{ template }}`, not `[5m]`). */
function selectorLabels(logql: string): string[] {
  const withoutTemplates = logql.replace(/\{\{[^}]*\}\}/g, '').replace(/\$\{[^}]*\}/g, '""');
  return [...withoutTemplates.matchAll(/\{([^{}]*)\}/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/([a-z0-9_]+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] ?? ''));
}

/** Inline code spans that are LogQL queries (start with a stream selector `{k8s_...=...}`). */
function inlineSelectors(markdown: string): string[] {
  return [...markdown.matchAll(/`(\{[a-z0-9_]+\s*=[^`]*)`/g)].map((m) => m[1] ?? '');
}

const loki = readFileSync(join(ROOT, 'docs', 'loki.md'), 'utf8');
const correlation = readFileSync(join(ROOT, 'docs', 'correlation.md'), 'utf8');
const yamlBlocks = codeBlocks(loki, 'yaml').map((text) => parse(text) as Record<string, any>);

interface AttributesConfig {
  action: string;
  attributes?: string[];
}

const limits = yamlBlocks.find((b) => b['limits_config'] !== undefined)?.['limits_config'] as
  | { allow_structured_metadata: boolean; otlp_config: { resource_attributes: { ignore_defaults: boolean; attributes_config: AttributesConfig[] } } }
  | undefined;
const indexed = (limits?.otlp_config.resource_attributes.attributes_config ?? []).filter((c) => c.action === 'index_label').flatMap((c) => c.attributes ?? []);
/** The index labels as LogQL names them. */
const indexLabels = new Set(indexed.map((a) => a.replace(/\./g, '_')));

describe('docs/loki.md', () => {
  it("keeps k8s.pod.name and service.instance.id out of Loki's index (ignore_defaults, an explicit label list) and stores them as structured metadata", () => {
    assert.ok(limits, 'a limits_config block');
    assert.equal(limits.allow_structured_metadata, true);
    const resource = limits.otlp_config.resource_attributes;
    assert.equal(resource.ignore_defaults, true, "Loki's default list indexes k8s.pod.name");
    for (const attribute of ['k8s.pod.name', 'service.instance.id', 'k8s.pod.uid', 'k8s.replicaset.name']) {
      assert.ok(!indexed.includes(attribute), `${attribute} is not an index label`);
    }
    const metadata = resource.attributes_config.filter((c) => c.action === 'structured_metadata').flatMap((c) => c.attributes ?? []);
    assert.ok(metadata.includes('k8s.pod.name') && metadata.includes('service.instance.id'));
    for (const attribute of ['k8s.cluster.name', 'k8s.namespace.name', 'k8s.deployment.name', 'service.name']) assert.ok(indexed.includes(attribute), attribute);
  });

  it('shows Loki ruler rules that alert on Warning events, selecting streams by index labels only', () => {
    const rules = yamlBlocks.find((b) => Array.isArray(b['groups'])) as { groups: { name: string; rules: { alert: string; expr: string; labels: Record<string, string> }[] }[] } | undefined;
    assert.ok(rules, 'a ruler rule file');
    const all = rules.groups.flatMap((g) => g.rules);
    assert.ok(all.length >= 1);
    for (const rule of all) {
      assert.match(rule.alert, /^[A-Za-z]\w*$/);
      assert.match(rule.expr, /\| severity_text="Warning"/, rule.alert);
      assert.match(rule.expr, /count_over_time\(/, rule.alert);
      assert.deepEqual(selectorLabels(rule.expr).filter((l) => !indexLabels.has(l)), [], `${rule.alert}: selector labels must be index labels`);
      assert.ok(rule.labels['severity'], rule.alert);
    }
  });

  it("uses, in every stream selector of the README, the docs and the Grafana dashboard, only labels the recommended config indexes", () => {
    const texts: [string, string[]][] = [
      ['README.md', codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'logql')],
      ['docs/correlation.md', [...codeBlocks(correlation, 'logql'), ...inlineSelectors(correlation)]],
      ['docs/loki.md', codeBlocks(loki, 'logql')],
      ['deploy/grafana/README.md', codeBlocks(readFileSync(join(DEPLOY, 'grafana', 'README.md'), 'utf8'), 'logql')],
      [
        'deploy/grafana/eventrouter-events.json',
        (JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'eventrouter-events.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] }).panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ],
    ];
    const problems: string[] = [];
    for (const [file, blocks] of texts) {
      assert.ok(blocks.length > 0, `${file}: has LogQL`);
      for (const label of blocks.flatMap(selectorLabels)) if (!indexLabels.has(label)) problems.push(`${file}: {${label}=...}`);
    }
    assert.deepEqual(problems, [], 'pod-level attributes are structured metadata: filter them after the selector (| k8s_pod_name="...")');
  });
});
