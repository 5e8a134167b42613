import { z } from 'zod';

/**
 * What a component's config schema says about `input`, one line per problem as `config check`
 * prints it (`key.path: message`; an unknown key as `key: unknown key`), or [] when it takes it.
 */
export function problems(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${path === '' ? key : `${path}.${key}`}: unknown key`);
    return [`${path}: ${issue.message}`];
  });
}

type JsonNode = { description?: string; properties?: Record<string, JsonNode>; items?: JsonNode; anyOf?: JsonNode[]; [key: string]: unknown };

/** The JSON Schema a user's editor gets for `schema` (input side, as `eventrouter config schema`). */
export function jsonSchemaOf(schema: z.ZodType): JsonNode {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
}

/** The keys of `schema` (nested ones as `a.b`) whose JSON Schema carries no description: the reference would show them blank. */
export function undescribedKeys(schema: z.ZodType): string[] {
  const missing: string[] = [];
  const visit = (node: JsonNode, prefix: string) => {
    for (const object of [node, ...(node.anyOf ?? [])]) {
      for (const [key, child] of Object.entries(object.properties ?? {})) {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        const described = [child, ...(child.anyOf ?? [])].some((alternative) => (alternative.description ?? '').trim() !== '');
        if (!described) missing.push(path);
        visit(child, path);
      }
    }
  };
  visit(jsonSchemaOf(schema), '');
  return missing;
}

/** The keys (top level) of an object schema's JSON Schema: what the reference lists for it. */
export function keysOf(schema: z.ZodType): string[] {
  return Object.keys(jsonSchemaOf(schema).properties ?? {});
}
