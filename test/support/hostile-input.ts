/** An object nested `depth` levels deep: JSON.parse accepts such input, JSON.stringify overflows the stack on it. */
export function deeplyNested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The JSON text of {@link deeplyNested}, built without JSON.stringify (which cannot write it). */
export function deeplyNestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;
}
