import type { SourceItem } from './source-item.ts';

/**
 * Where events come from. A source runs until it is done or `signal` aborts, handing items to
 * the pipeline in stream order through `deliver`, which resolves when the pipeline has room
 * (back-pressure). The watch source never ends by itself; a dump source ends with its file.
 */
export interface Source {
  run(signal: AbortSignal): Promise<void>;
}

/** Hands a batch of items to the pipeline; resolves when it has room for more. */
export type Deliver = (items: SourceItem[]) => Promise<void>;
