import type { Component } from '../component/component.ts';

/**
 * What decides when this process leads, and so runs a leadership term (see LeaderTerms): the
 * Lease elector, or {@link AlwaysLeading}. Either tells the terms when a term begins and ends;
 * the service drains the current term before it shuts its leadership down.
 */
export interface Leadership extends Component {
  readonly isLeader: boolean;
}

/**
 * Leadership without an election (`leaderElection.enabled: false`, the demo, replay): this
 * process leads from its start to its shutdown, as one term run by the same LeaderTerms an
 * elected leader uses. `start()` begins the term and resolves once its work started, so a sink
 * that cannot start fails the service's start.
 */
export class AlwaysLeading implements Leadership {
  readonly isLeader = true;
  readonly #begin: () => Promise<void>;

  /** `begin`: LeaderTerms.started. */
  constructor(begin: () => Promise<void>) {
    this.#begin = begin;
  }

  start(): Promise<void> {
    return this.#begin();
  }

  /** Nothing to release: the term ended with LeaderTerms.shutdown, before this is called. */
  async shutdown(): Promise<void> {}
}
