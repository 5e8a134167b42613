import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import type { RuleConfig } from './config.ts';
import { compilePattern } from '../util/pattern.ts';

export type Rule = (record: EventRecord) => boolean;

/** The value of `k8s.<kind>.<part>.<key>` (`part` label or annotation) that enrichment copied, if any. */
function metadataValue(resource: AttributeMap, part: 'label' | 'annotation', key: string): string | undefined {
  const suffix = `.${part}.${key}`;
  for (const [name, value] of Object.entries(resource)) {
    if (name.startsWith('k8s.') && name.endsWith(suffix)) return String(value);
  }
  return undefined;
}

/** Compiles one rule: every condition it sets must hold. */
export function compileRule(rule: RuleConfig): Rule {
  const checks: Rule[] = [];
  const field = (pattern: string | undefined, get: (r: EventRecord) => string | undefined) => {
    if (pattern === undefined) return;
    const match = compilePattern(pattern);
    checks.push((r) => match(get(r)));
  };
  field(rule.namespace, (r) => (r.resource['k8s.namespace.name'] as string | undefined) ?? r.event.namespace);
  field(rule.kind, (r) => r.event.regarding.kind);
  field(rule.name, (r) => r.event.regarding.name);
  field(rule.reason, (r) => r.event.reason);
  field(rule.type, (r) => r.event.type);
  field(rule.reportingController, (r) => r.event.reportingController);
  field(rule.message, (r) => r.event.message);
  for (const part of ['label', 'annotation'] as const) {
    for (const [key, pattern] of Object.entries((part === 'label' ? rule.labels : rule.annotations) ?? {})) {
      const match = compilePattern(pattern);
      checks.push((r) => {
        const value = metadataValue(r.resource, part, key);
        return value !== undefined && match(value);
      });
    }
  }
  if (rule.minCount !== undefined) {
    const min = rule.minCount;
    checks.push((r) => (r.event.count ?? 1) >= min);
  }
  return (record) => checks.every((check) => check(record));
}

/** Per-sink routing: a record goes to the sink if it matches any `match` rule (or there are none) and no `drop` rule. */
export class RecordFilter {
  readonly #match: Rule[];
  readonly #drop: Rule[];

  constructor(match: readonly RuleConfig[], drop: readonly RuleConfig[]) {
    this.#match = match.map(compileRule);
    this.#drop = drop.map(compileRule);
  }

  accepts(record: EventRecord): boolean {
    if (this.#match.length > 0 && !this.#match.some((rule) => rule(record))) return false;
    return !this.#drop.some((rule) => rule(record));
  }
}
