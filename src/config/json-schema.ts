import { z } from 'zod';
import { DESCRIPTIONS } from './descriptions.ts';
import { configSchema } from './schema.ts';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
};

/** Every object-typed alternative of a node (sinks are a union of otlp and stdout). */
function objectsOf(node: JsonSchema): JsonSchema[] {
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return [node, ...alternatives.flatMap(objectsOf)].filter((n) => n.properties !== undefined);
}

/** Visits each key with its path (`sinks[].endpoint`), once per path. */
export function walk(node: JsonSchema, visit: (path: string, node: JsonSchema) => void, prefix = ''): void {
  for (const object of objectsOf(node)) {
    for (const [key, child] of Object.entries(object.properties ?? {})) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      visit(path, child);
      walk(child, visit, path);
      const items = child.items ?? child.anyOf?.find((a) => a.items)?.items;
      if (items !== undefined) {
        visit(`${path}[]`, items);
        walk(items, visit, `${path}[]`);
      }
    }
  }
}

/** The config's JSON Schema (input side: what a user writes), with a description on every key. */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  walk(schema, (path, node) => {
    const description = DESCRIPTIONS[path];
    if (description !== undefined) node.description = description;
  });
  // The same rule shape describes sinks[].match/drop; document it once, under drop.
  return schema;
}

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' \\| ');
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`;
  return node.type ?? 'object';
}

/** docs/configuration.md: every key with its type, default and description. */
export function configReferenceMarkdown(): string {
  const rows: string[] = [];
  const seen = new Set<string>();
  walk(configJsonSchema(), (path, node) => {
    if (seen.has(path) || path.startsWith('sinks[].match[]') || path.startsWith('sinks[].drop[]')) return;
    if (path.endsWith('[]') && node.properties === undefined && node.anyOf === undefined) return;
    seen.add(path);
    const def = node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``;
    rows.push(`| \`${path}\` | ${typeOf(node)} | ${def} | ${(DESCRIPTIONS[path] ?? '').replace(/\|/g, '\\|')} |`);
  });
  return [
    '# Configuration reference',
    '',
    'Generated from the schema (`src/config/schema.ts`, `src/config/descriptions.ts`) by',
    '`eventrouter config reference`; `npm test` fails when this file is out of date.',
    'Durations are Go-style strings (`500ms`, `15s`, `10m`, `1h30m`). The rules of',
    '`sinks[].match` and `sinks[].drop` have the fields of `drop[]`.',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
