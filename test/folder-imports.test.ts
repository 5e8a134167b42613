import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../src/', import.meta.url).pathname;

/** src/ folder → the other src/ folders its files import (type-only imports too: they are a dependency of the design). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const from = relative(SRC, dirname(path)).split('/')[0] ?? '';
        const edges = graph.get(from) ?? new Set<string>();
        graph.set(from, edges);
        for (const match of readFileSync(path, 'utf8').matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
          const target = relative(SRC, resolve(dirname(path), match[1] ?? '')).split('/')[0] ?? '';
          if (target !== from && !target.startsWith('..')) edges.add(target);
        }
      }
    }
  };
  walk(SRC);
  return graph;
}

/** Every cycle of folders, each as the path that closes it. */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (node: string, path: string[]): void => {
    for (const next of graph.get(node) ?? []) {
      if (next === path[0]) found.push([...path, next].join(' → '));
      else if (!path.includes(next) && next > (path[0] ?? '')) visit(next, [...path, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) visit(start, [start]);
  return found;
}

describe('src/ layout', () => {
  it('has no folder that imports, directly or through others, a folder that imports it back', () => {
    assert.deepEqual(cycles(folderGraph()), []);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    assert.deepEqual(cycles(graph), ['a → b → c → a']);
  });
});
