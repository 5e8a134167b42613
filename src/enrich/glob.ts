/**
 * A matcher for a list of globs (`*` any run of characters, `?` one character), as the
 * `enrich.labels` / `enrich.annotations` options take them; an empty list matches nothing.
 */
export function globMatcher(globs: readonly string[]): ((key: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const source = globs
    .map((glob) => glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'))
    .join('|');
  const pattern = new RegExp(`^(?:${source})$`);
  return (key) => pattern.test(key);
}
