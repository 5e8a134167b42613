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
 * client-node imports undici at the top of its config module (for its own fetch-based API
 * client, which the router does not use: requests go through node:https). Its imports are
 * served by a stand-in that loads the bundled undici the first time one of them is called, so
 * a running router never executes (or keeps in memory) a second HTTP client.
 */
const undiciOnFirstUse: Plugin = {
  name: 'undici-on-first-use',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(`${join('node_modules', '@kubernetes', 'client-node')}`) ? { path: 'undici', namespace: 'undici-on-first-use' } : undefined,
    );
    b.onResolve({ filter: /^undici-bundled$/ }, (args) => ({ path: createRequire(join(args.resolveDir || root, 'index.js')).resolve('undici') }));
    b.onLoad({ filter: /.*/, namespace: 'undici-on-first-use' }, () => ({
      resolveDir: join(root, 'node_modules', '@kubernetes', 'client-node'),
      contents: [
        'let undici;',
        "const load = () => (undici ??= require('undici-bundled'));",
        'export class Agent { constructor(...args) { return new (load().Agent)(...args); } }',
        'export class ProxyAgent { constructor(...args) { return new (load().ProxyAgent)(...args); } }',
        'export function fetch(...args) { return load().fetch(...args); }',
      ].join('\n'),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { eventrouter: 'src/cli/main.ts' },
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
  plugins: [grpcExporterBaseAsCommonJs, undiciOnFirstUse],
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
});
if (values.metafile !== undefined && result.metafile) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.metafile, JSON.stringify(result.metafile));
}
