import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

/** The one rules file: Prometheus loads it as is; the Helm chart renders it as a PrometheusRule. */
export const RULES_PATH = new URL('../../deploy/helm/eventrouter/files/eventrouter-rules.yaml', import.meta.url).pathname;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

export function shippedRules(): RuleFile {
  return parse(readFileSync(RULES_PATH, 'utf8')) as RuleFile;
}

/** Every alert of the shipped rules, by name. */
export function alerts(): Map<string, Rule> {
  return new Map(shippedRules().groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined).map((r) => [r.alert as string, r])));
}

/** The metric names the rules' expressions use. */
export function ruleMetricNames(): Set<string> {
  return new Set(shippedRules().groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/\beventrouter_[a-z_]+/g) ?? [])));
}

/**
 * The shipped rules with their annotations left out, for `promtool test rules`: expressions,
 * `for` and labels are the shipped ones, byte for byte, while annotations (text for a human,
 * templated on the values) would have to be repeated in every expected alert.
 * `promtool check rules` checks the shipped file with them.
 */
export function rulesUnderTest(): string {
  const file = shippedRules();
  for (const group of file.groups) for (const rule of group.rules) delete rule.annotations;
  return stringify(file);
}
