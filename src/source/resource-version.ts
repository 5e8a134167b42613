/**
 * Compares two resourceVersions. The API server calls them opaque, but every etcd3-backed
 * server issues increasing integers (the etcd revision), which is what makes "newer than the
 * checkpoint" decidable after a 410. Returns undefined when either is not an integer.
 */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `rv` is known to be newer than `cursor` (or when that cannot be decided). */
export function isNewerThan(rv: string, cursor: string | undefined): boolean {
  if (cursor === undefined || cursor === '') return true;
  const cmp = compareResourceVersions(rv, cursor);
  return cmp === undefined ? true : cmp > 0;
}
