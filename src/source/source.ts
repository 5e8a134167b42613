import type { Component } from '../component/component.ts';
import type { SourceItem } from './source-item.ts';

/**
 * Where events come from, with the {@link Component} lifecycle: `start()` begins reading in the
 * background, handing items to the pipeline in stream order through `deliver`, which resolves
 * when the pipeline has room (back-pressure); `shutdown()` stops reading and resolves once the
 * delivery in progress returned. The watch source never ends by itself; a dump source ends
 * with its file: `done` resolves when reading ended, either way.
 */
export interface Source extends Component {
  readonly done: Promise<void>;
}

/**
 * Hands a batch of items to the pipeline. Returns undefined when the pipeline took them all and
 * has room for more, else a promise that resolves when it has (the back-pressure): no promise
 * per delivery when nothing has to wait.
 */
export type Deliver = (items: SourceItem[]) => Promise<void> | undefined;
