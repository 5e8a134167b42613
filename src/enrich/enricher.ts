import type { Component } from '../component/component.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { WorkloadMetadata } from './service-attributes.ts';

/** Adds what the API knows about an event's object (owners, labels) to its record. */
export interface Enricher extends Component {
  /** Adds owner attributes to `record.resource`; resolves with the labels/annotations that decide `service.*`. */
  enrich(record: EventRecord): Promise<WorkloadMetadata | undefined>;
  /**
   * Optional: the same without waiting when the result is known now (a cached chain, or nothing
   * to look up) — applied to `record.resource` and returned; undefined when {@link enrich} must
   * run (nothing applied). Lets a warm cache's records pass without a promise each.
   */
  enrichCached?(record: EventRecord): { readonly metadata: WorkloadMetadata | undefined } | undefined;
}
