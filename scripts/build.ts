/**
 * The production build: one tree-shaken ES module bundle of the CLI in dist/, with code that
 * only some configurations run (the demo's simulated cluster, the gRPC exporter, the OTLP push
 * of the router's own metrics, the config schema tools) split into chunks loaded on demand.
 * The image runs dist/eventrouter.js and needs no node_modules: a Node process then parses and
 * keeps only the code it runs, which is most of the difference between ~170 MB and ~60 MB at rest
 * (bench/README.md, "At rest").
 *
 *   node scripts/build.ts [--outdir dist] [--metafile FILE]
 */
import { type Plugin, build } from 'esbuild';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { outdir: { type: 'string' }, metafile: { type: 'string' }, root: { type: 'string' } } });
const root = values.root ?? ROOT;
const outdir = values.outdir ?? join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/**
 * The ES module build of the OTLP gRPC exporter base loads @grpc/grpc-js through a
 * `createRequire` wrapper the bundler cannot follow, which would leave gRPC out of the bundle;
 * its CommonJS build calls `require('@grpc/grpc-js')` plainly, which the bundler includes.
 */
const grpcExporterBaseAsCommonJs: Plugin = {
  name: 'otlp-grpc-exporter-base-cjs',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\/otlp-grpc-exporter-base$/ }, (args) => ({
      path: createRequire(join(args.resolveDir, 'index.js')).resolve('@opentelemetry/otlp-grpc-exporter-base'),
    }));
  },
};

/**
 * A dependency's `import()` of a CommonJS package gets, from Node, a namespace with the
 * package's exports by name (and `default`, the exports object). Split into a chunk of its own,
 * esbuild gives that chunk only a `default` export (evanw/esbuild#3245: an ES module cannot
 * export names known only at run time), so `const { x } = await import('pkg')` finds nothing:
 * the OTLP gRPC exporter base's `await import('@grpc/grpc-js')` made every gRPC export fail
 * with `makeGenericClientConstructor is not a function` in the bundle, and only there.
 * Such an import is served instead by an ES module that requires the package and exports its
 * names, listed here by loading the package as the import would.
 */
const commonJsDynamicImportsKeepTheirNames: Plugin = {
  name: 'commonjs-dynamic-imports-keep-their-names',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData === 'resolving') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0 || resolved.external || !isAbsolute(resolved.path) || !isCommonJs(resolved.path)) return undefined;
      // Named relative to the root in the bundle's comments and source maps, as other modules are.
      return { path: relative(root, resolved.path), namespace: 'commonjs-as-namespace', pluginData: resolved.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'commonjs-as-namespace' }, (args) => {
      const file = args.pluginData as string;
      const names = Object.keys(createRequire(file)(file) as object).filter((n) => n !== 'default' && n !== '__esModule');
      // Bound to local names and exported under string names: any property name is valid so.
      const locals = names.map((name, i) => ({ name: JSON.stringify(name), local: `export${i}` }));
      return {
        contents: [
          `const exports = require(${JSON.stringify(file)});`,
          'export default exports;',
          `const { ${locals.map((l) => `${l.name}: ${l.local}`).join(', ')} } = exports;`,
          `export { ${locals.map((l) => `${l.local} as ${l.name}`).join(', ')} };`,
        ].join('\n'),
        resolveDir: dirname(file),
      };
    });
  },
};

/** Node's rule: `.cjs` is CommonJS, `.mjs` is not, `.js` is unless the nearest package.json says `"type": "module"`. */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type !== 'module';
  }
  return true;
}

/**
 * client-node imports undici at the top of its config module, for its fetch-based API client
 * and its dispatcher helpers, none of which the router calls: requests go through node:https
 * with the https options client-node computes (src/kube/kube-client.ts). The bundle serves
 * those imports with stand-ins that say so if they are ever called, so the 1.3 MB of undici is
 * neither in the bundle nor in memory. The e2e suite runs the bundle's code paths against a
 * real kube-apiserver (in-cluster token, client certificates, exec plugin).
 */
const undiciNotBundled: Plugin = {
  name: 'undici-not-bundled',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(join('node_modules', '@kubernetes', 'client-node')) ? { path: 'undici', namespace: 'undici-not-bundled' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'undici-not-bundled' }, () => ({
      contents: [
        "const unused = (what) => { throw new Error(`eventrouter's build leaves out undici: ${what} of @kubernetes/client-node is not used (see scripts/build.ts)`); };",
        "export class Agent { constructor() { unused('the undici Agent'); } }",
        "export class ProxyAgent { constructor() { unused('the undici ProxyAgent'); } }",
        "export function fetch() { return Promise.reject(unused('fetch')); }",
      ].join('\n'),
    }));
  },
};

/**
 * client-node's config module reaches its generated API through a barrel that re-exports every
 * model; the models are pure class definitions, but the package does not say so, so the
 * bundler keeps all of them (560 kB). Marked side-effect free, only what is referenced stays.
 */
const clientNodeModelsArePure: Plugin = {
  name: 'client-node-models-pure',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.includes(join('@kubernetes', 'client-node', 'dist', 'gen'))) return undefined;
      const path = join(args.resolveDir, args.path);
      return path.includes(join('gen', 'models')) ? { path, sideEffects: false } : undefined;
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The config loader runs in a worker thread of its own (src/config/load-config-isolated.ts).
  entryPoints: { eventrouter: 'src/cli/main.ts', 'config-worker': 'src/config/config-worker.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __eventrouterRequire } from 'node:module'; const require = __eventrouterRequire(import.meta.url);" },
  define: { EVENTROUTER_VERSION: JSON.stringify(pkg.version) },
  legalComments: 'linked',
  sourcemap: 'linked',
  plugins: [grpcExporterBaseAsCommonJs, commonJsDynamicImportsKeepTheirNames, undiciNotBundled, clientNodeModelsArePure],
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
});
if (values.metafile !== undefined && result.metafile) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.metafile, JSON.stringify(result.metafile));
}
