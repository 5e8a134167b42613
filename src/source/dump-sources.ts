import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { DumpSource } from './dump-source.ts';
import type { SourceFactory } from './source-factory.ts';

export interface DumpSourcesOptions {
  /** The objects of the dump (src/cli/read-dump.ts). */
  objects: readonly unknown[];
  pageSize: number;
  metrics: Metrics;
  logger: Logger;
}

/** What `replay` reads: the dump, once, as one scope; nothing is resumed (the file is read whole). */
export interface DumpSources extends SourceFactory {
  /** The source made, once the router made it (its accepted and malformed counts). */
  readonly source: DumpSource | undefined;
}

export function dumpSources(options: DumpSourcesOptions): DumpSources {
  let made: DumpSource | undefined;
  return {
    scopes: [''],
    resumes: false,
    get source() {
      return made;
    },
    // The dump's objects are in memory for the whole replay: handing them on as `raw` costs nothing.
    create({ deliver }) {
      made = new DumpSource({ ...options, deliver });
      return made;
    },
  };
}
