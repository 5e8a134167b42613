import type { AttributeMap, EventRecord } from '../model/event-record.ts';
import type { RuleConfig } from '../config/schema.ts';

/** A compiled string condition: a glob (`kube-*`, `?`), or a regular expression written `/.../`. */
export type Pattern = (value: string | undefined) => boolean;

/** Compiles a pattern; throws with a readable message when a `/regex/` is invalid. */
export function compilePattern(pattern: string): Pattern {
  let regex: RegExp;
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    regex = new RegExp(pattern.slice(1, -1));
  } else {
    const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regex = new RegExp(`^${escaped}$`);
  }
  return (value) => regex.test(value ?? '');
}

export type Rule = (record: EventRecord) => boolean;

function labelValue(resource: AttributeMap, key: string): string | undefined {
  for (const [name, value] of Object.entries(resource)) {
    if (name.startsWith('k8s.') && name.endsWith(`.label.${key}`)) return String(value);
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
  for (const [key, pattern] of Object.entries(rule.labels ?? {})) {
    const match = compilePattern(pattern);
    checks.push((r) => {
      const value = labelValue(r.resource, key);
      return value !== undefined && match(value);
    });
  }
  if (rule.minCount !== undefined) {
    const min = rule.minCount;
    checks.push((r) => (r.event.count ?? 1) >= min);
  }
  return (record) => checks.every((check) => check(record));
}

/** Validates every rule of a list; returns the problems with their key paths. */
export function ruleProblems(rules: readonly RuleConfig[], path: string): string[] {
  const problems: string[] = [];
  rules.forEach((rule, i) => {
    for (const [key, value] of Object.entries(rule)) {
      if (typeof value !== 'string') continue;
      try {
        compilePattern(value);
      } catch (error) {
        problems.push(`${path}[${i}].${key}: ${(error as Error).message}`);
      }
    }
    for (const [label, value] of Object.entries(rule.labels ?? {})) {
      try {
        compilePattern(value);
      } catch (error) {
        problems.push(`${path}[${i}].labels.${label}: ${(error as Error).message}`);
      }
    }
  });
  return problems;
}

/** Per-sink routing: a record goes to the sink if it matches any `match` rule (or there are none) and no `drop` rule. */
export class Route {
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
