/**
 * Glob matching (`*` any run of characters, `?` exactly one) without RegExp. A glob turned
 * into a `.*` regular expression runs on V8's backtracking engine, where `*-*-*-*-*-x` against
 * a long run of dashes takes exponential time and stops the pipeline; this is the classic
 * two-pointer matcher that remembers only the last `*`, O(value × glob) at worst.
 */
export function matchGlob(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  // Where the last `*` was in the glob, and the value position it currently stands for the end of.
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = glob.charCodeAt(g);
    if (g < glob.length && c === 42 /* * */) {
      star = g;
      g += 1;
      resume = v;
    } else if (g < glob.length && (c === 63 /* ? */ || c === value.charCodeAt(v))) {
      g += 1;
      v += 1;
    } else if (star !== -1) {
      // Let the last `*` swallow one more character and retry from there; earlier stars never
      // need revisiting, which is what keeps this linear in the number of stars.
      g = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob.charCodeAt(g) === 42) g += 1;
  return g === glob.length;
}

/**
 * Compiles a glob into a matcher. A glob without `?` is split at its stars: the first piece
 * must be a prefix, the last a suffix, and each middle piece is found after the previous one
 * (taking the leftmost place is always right when only stars lie between), using native
 * `startsWith`/`indexOf`; that is what most rules look like (`kube-*`, `*-controller`). A glob
 * with `?` uses {@link matchGlob}. Either way, no RegExp and no backtracking blow-up.
 */
export function compileGlob(glob: string): (value: string) => boolean {
  if (glob.includes('?')) return (value) => matchGlob(glob, value);
  const parts = glob.split('*');
  if (parts.length === 1) return (value) => value === glob;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = first.length + last.length;
  return (value) => {
    if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
    const end = value.length - last.length;
    let at = first.length;
    for (const part of middle) {
      const found = value.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/**
 * A matcher for a list of globs, as the `enrich.labels` / `enrich.annotations` options take
 * them: true when any glob matches; undefined for an empty list (matches nothing).
 */
export function globMatcher(globs: readonly string[]): ((key: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const matchers = globs.map(compileGlob);
  return (key) => matchers.some((match) => match(key));
}
