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
 * A matcher for a list of globs, as the `enrich.labels` / `enrich.annotations` options take
 * them: true when any glob matches; undefined for an empty list (matches nothing).
 */
export function globMatcher(globs: readonly string[]): ((key: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const list = [...globs];
  return (key) => list.some((glob) => matchGlob(glob, key));
}
