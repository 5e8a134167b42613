import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../', import.meta.url).pathname;

function files(dir: string, keep: (name: string) => boolean, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, keep, found);
    else if (keep(entry.name)) found.push(path);
  }
  return found;
}

/**
 * The relative `.ts` paths a file names as a module: imports (static, dynamic, side-effect,
 * type-only too, since a file of types has nothing else to import) and `new URL('…', import.meta.url)`
 * (a worker's entry, a process's), each resolved against the file's folder.
 */
function referenced(path: string, text: string): string[] {
  const pattern = /\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.ts)'|new URL\(\s*'(\.{1,2}\/[^']+\.ts)'\s*,\s*import\.meta\.url/g;
  return [...text.matchAll(pattern)].map((match) => resolve(dirname(path), match[1] ?? match[2] ?? ''));
}

/**
 * The src/ files no test file (`*.test.ts`) names: each unit has a test of its own, not only a
 * path through a helper under test/support or through the whole App.
 */
function untested(sources: readonly string[], testFolder: ReadonlyMap<string, string>): string[] {
  const named = new Set<string>();
  for (const [path, text] of testFolder) {
    if (path.endsWith('.test.ts')) for (const target of referenced(path, text)) named.add(target);
  }
  return sources.filter((source) => !named.has(source)).map((source) => relative(ROOT, source)).sort();
}

describe('units tested on their own', () => {
  it('every file in src/ is imported by a test file of its own', () => {
    const sources = files(join(ROOT, 'src'), (name) => name.endsWith('.ts'));
    const testFolder = new Map(files(join(ROOT, 'test'), (name) => name.endsWith('.ts')).map((path) => [path, readFileSync(path, 'utf8')]));
    assert.deepEqual(untested(sources, testFolder), [], 'these src/ files are imported by no test/**/*.test.ts: give each a test at the mirrored path');
  });

  it('lists a file that only a helper imports, and counts each way a test names a module (the check itself works)', () => {
    const src = (path: string) => join(ROOT, 'src', path);
    const test = (path: string) => join(ROOT, 'test', path);
    const sources = ['a/tested.ts', 'a/types.ts', 'a/lazy.ts', 'a/worker.ts', 'a/side.ts', 'b/helped.ts', 'b/named-in-prose.ts'].map(src);
    const testFolder = new Map([
      [
        test('a/tested.test.ts'),
        [
          "import { x } from '../../src/a/tested.ts';",
          "import type {\n  T,\n} from '../../src/a/types.ts';",
          "const lazy = await import('../../src/a/lazy.ts');",
          "new Worker(new URL('../../src/a/worker.ts', import.meta.url));",
          "import '../../src/a/side.ts';",
          "// see src/b/named-in-prose.ts'",
        ].join('\n'),
      ],
      [test('support/helper.ts'), "import { h } from '../../src/b/helped.ts';"],
    ]);
    // Only test files count, and only what they import.
    assert.deepEqual(untested(sources, testFolder), ['src/b/helped.ts', 'src/b/named-in-prose.ts']);
  });
});
