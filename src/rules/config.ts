import { z } from 'zod';
import { duration, pattern } from '../config-kit/schema-kit.ts';

/**
 * One rule, as `drop` and each sink's `match` and `drop` write it: every condition it sets must
 * hold (record-filter.ts compiles it). Its descriptions are documented once, under `drop[]`.
 */
export const ruleSchema = z
  .object({
    namespace: pattern().optional().describe('Namespace (glob or /regex/).'),
    kind: pattern().optional().describe('Kind of the involved object (glob or /regex/).'),
    name: pattern().optional().describe('Name of the involved object (glob or /regex/).'),
    reason: pattern().optional().describe('Event reason (glob or /regex/).'),
    type: pattern().optional().describe('Event type: Normal, Warning (glob or /regex/).'),
    reportingController: pattern().optional().describe('Reporting controller, e.g. kubelet (glob or /regex/).'),
    message: pattern().optional().describe('Event message (note in events.k8s.io/v1), glob or /regex/; e.g. "*OOMKilled*".'),
    labels: z
      .record(z.string(), pattern())
      .optional()
      .describe('Label key → pattern, matched against the enriched k8s.*.label.* attributes (list the key in enrich.labels).'),
    annotations: z
      .record(z.string(), pattern())
      .optional()
      .describe("Annotation key → pattern, matched against the involved object's annotations that enrichment copied as k8s.*.annotation.* (list the key in enrich.annotations)."),
    minCount: z.number().int().nonnegative().optional().describe('Only events that occurred at least this many times.'),
  })
  .strict()
  .describe(
    'A rule: all of its conditions must hold. A pattern is a glob (* and ?) or a /regular expression/ in RE2 syntax (linear time; no look-around or back-references), matched against at most the first 4096 characters of a field.',
  );

/** A list of rules, empty by default (`description`: what the list is for, where it stands). */
export const ruleList = (description: string) => z.array(ruleSchema).default([]).describe(description);

/** At most `limit` records per (involved object, reason) per `interval`; the next one that passes carries the suppressed count (throttle.ts). */
export const throttleSchema = z
  .object({
    limit: z.number().int().min(1).describe('Records per key per interval.'),
    interval: duration('1m').describe('Throttle window.'),
  })
  .strict()
  .describe('At most limit records per (involved object, reason) per interval; the next one carries eventrouter.throttle.suppressed.');

export type RuleConfig = z.output<typeof ruleSchema>;
export type ThrottleConfig = z.output<typeof throttleSchema>;
