import { formatDuration } from '../util/duration.ts';
import { configJsonSchema, walk } from './json-schema.ts';
import type { Config } from './schema.ts';

type Node = { type?: string | string[]; anyOf?: Node[]; oneOf?: Node[] };

function acceptsString(node: Node): boolean {
  if (node.type === 'string' || (Array.isArray(node.type) && node.type.includes('string'))) return true;
  return [...(node.anyOf ?? []), ...(node.oneOf ?? [])].some(acceptsString);
}

function acceptsNumber(node: Node): boolean {
  const numeric = (t: string) => t === 'number' || t === 'integer';
  if (typeof node.type === 'string' && numeric(node.type)) return true;
  if (Array.isArray(node.type) && node.type.some(numeric)) return true;
  return [...(node.anyOf ?? []), ...(node.oneOf ?? [])].some(acceptsNumber);
}

/**
 * Key paths (`sinks[].timeout`) whose input is a string but whose validated value is a number:
 * the durations, which the schema turns into milliseconds. Derived from the schema, so a new
 * duration key needs no list kept by hand.
 */
function durationPaths(): Set<string> {
  const paths = new Set<string>();
  walk(configJsonSchema(), (path, node) => {
    if (acceptsString(node) && !acceptsNumber(node)) paths.add(path);
  });
  return paths;
}

/**
 * The effective config as a user would write it: durations back in their string form (`5m`),
 * so that `config check` prints a file that `--config` accepts as it is.
 */
export function printableConfig(config: Config): unknown {
  const strings = durationPaths();
  const visit = (value: unknown, path: string): unknown => {
    if (typeof value === 'number' && strings.has(path)) return formatDuration(value);
    if (Array.isArray(value)) return value.map((item) => visit(item, `${path}[]`));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, visit(child, path === '' ? key : `${path}.${key}`)]));
    }
    return value;
  };
  return visit(config, '');
}
