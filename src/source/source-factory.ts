import type { Deliver, Source } from './source.ts';

/** Where one scope's source starts: from the checkpoint of an earlier run, or (all undefined) from the beginning. */
export interface ScopeStart {
  resourceVersion?: string | undefined;
  /** An interrupted first LIST of an earlier run: what it got through is skipped. */
  resumeList?: { resourceVersion: string; after: string } | undefined;
}

/** What the router asks of a source for one scope. */
export interface ScopeSourceOptions {
  /** The namespace ("" = all). */
  scope: string;
  start: ScopeStart;
  deliver: Deliver;
  /** Hand on each event's parsed object (a sink prints it: stdout `classic`); else it is let go as soon as mapped. */
  keepRaw: boolean;
}

/**
 * Makes the sources of one router (one leadership term): what the service reads is the only
 * thing `run`/`demo` and `replay` assemble differently. A cluster's factory makes a watch source
 * per watched namespace, resumed from the checkpoint; a dump's, one source reading the file.
 */
export interface SourceFactory {
  /** The scopes read, each with its own cursor in the checkpoint ("" = all namespaces). */
  readonly scopes: readonly string[];
  /**
   * Whether the checkpoint of an earlier run says where to start (a cluster), or every run reads
   * everything (a dump: nothing to resume, so the store is not even read).
   */
  readonly resumes: boolean;
  create(options: ScopeSourceOptions): Source;
}
