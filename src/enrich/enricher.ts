import type { Component } from '../component/component.ts';
import type { EventRecord } from '../model/event-record.ts';
import type { WorkloadMetadata } from './service-attributes.ts';

/** Adds what the API knows about an event's object (owners, labels) to its record. */
export interface Enricher extends Component {
  /** Adds owner attributes to `record.resource`; resolves with the labels/annotations that decide `service.*`. */
  enrich(record: EventRecord): Promise<WorkloadMetadata | undefined>;
}
