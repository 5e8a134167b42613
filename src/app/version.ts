import { readFileSync } from 'node:fs';

/** Set by the production build (scripts/build.ts); undefined when running src/ directly. */
declare const EVENTROUTER_VERSION: string | undefined;

/** The package version, read once from package.json (two levels up from src/ and dist/). */
export const VERSION: string = (() => {
  if (typeof EVENTROUTER_VERSION === 'string') return EVENTROUTER_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export const INSTRUMENTATION_SCOPE = { name: 'eventrouter', version: VERSION } as const;
