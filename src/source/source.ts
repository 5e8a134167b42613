import type { Component } from '../component/component.ts';
import type { SourceItem } from './source-item.ts';

/**
 * Where events come from, with the {@link Component} lifecycle: `start()` begins reading in the
 * background, handing items to the pipeline in stream order through `deliver`, which resolves
 * when the pipeline has room (back-pressure); `shutdown()` stops reading and resolves once the
 * delivery in progress returned. The watch source never ends by itself; a dump source ends
 * with its file: `done` resolves when reading ended, either way. The other fields are what the
 * router reads of it: the probes (synced, idle, stalled, state) and the cursor it checkpoints.
 */
export interface Source extends Component {
  readonly done: Promise<void>;
  /** Everything there was to read at start has been handed on (a watch: its first list is done). */
  readonly synced: boolean;
  /** How long nothing arrived (0: a source that does not wait for anything). */
  readonly idleMs: number;
  /** How long its loop has been stuck past its step's bound (0: it moves). */
  readonly stalledMs: number;
  /** What its loop is doing, for the probes' body. */
  readonly state: string;
  /** The cursor of what it handed on, for the checkpoint (undefined: none, as for a dump). */
  readonly resourceVersion: string | undefined;
}

/**
 * Hands a batch of items to the pipeline. Returns undefined when the pipeline took them all and
 * has room for more, else a promise that resolves when it has (the back-pressure): no promise
 * per delivery when nothing has to wait.
 */
export type Deliver = (items: SourceItem[]) => Promise<void> | undefined;
