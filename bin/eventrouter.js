#!/usr/bin/env node
// Runs the production bundle (dist/, built by `npm run build`), or the TypeScript sources
// directly on a Node.js that strips types (>= 22.18) when no build is present.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/eventrouter.js', import.meta.url);
await import(existsSync(dist) ? dist.href : new URL('../src/cli/main.ts', import.meta.url).href);
