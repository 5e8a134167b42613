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
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
 * The gRPC exporter base loads @grpc/grpc-js lazily with `await import('@grpc/grpc-js')` and
 * takes `makeGenericClientConstructor` from it as a named export. Node gives a CommonJS module
 * named exports on import; the bundler's chunk for a CommonJS module exports only `default`, so
 * the name came out undefined and every gRPC export failed ("makeGenericClientConstructor is
 * not a function"; test/e2e/image-oci.e2e.ts runs the bundle over gRPC). A `require()` there
 * gets the module object itself (the exporter's chunk is itself loaded on demand).
 */
const grpcJsRequiredNotImported: Plugin = {
  name: 'grpc-js-required-not-imported',
  setup(b) {
    b.onLoad({ filter: /otlp-grpc-exporter-base[\\/]dist[\\/]create-service-client-constructor\.cjs$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const dynamic = /await import\((["'])@grpc\/grpc-js\1\)/g;
      if (!dynamic.test(source)) throw new Error(`${args.path}: no \`await import('@grpc/grpc-js')\` to replace; see scripts/build.ts`);
      return { contents: source.replace(dynamic, "require('@grpc/grpc-js')"), loader: 'js' };
    });
  },
};

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
  plugins: [grpcExporterBaseAsCommonJs, grpcJsRequiredNotImported, undiciNotBundled, clientNodeModelsArePure],
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
});
if (values.metafile !== undefined && result.metafile) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.metafile, JSON.stringify(result.metafile));
}
