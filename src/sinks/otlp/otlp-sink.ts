import { ExportResultCode, type InstrumentationScope } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { EventRecord } from '../../model/event-record.ts';
import { ExportError, toExportError } from '../export-error.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import { PartialSuccess } from './partial-success.ts';
import { toReadableLogRecords } from './resource-grouping.ts';

export interface OtlpSinkOptions extends OtlpSettings {
  name: string;
  scope: InstrumentationScope;
}

type Delegate = IOtlpExportDelegate<ReadableLogRecord[]>;

/**
 * Exports over OTLP with the OpenTelemetry JS building blocks (the logs serialisers, the export
 * delegate, the gRPC transport), making exactly one attempt per `export`: retrying is the
 * retry sender's job, so no SDK retrying transport and no SDK processor (which drops on a
 * full queue or after a few retries) is involved. The settings come decided (`otlp-settings.ts`):
 * nothing here reads the environment.
 */
export class OtlpSink implements Sink {
  readonly name: string;
  readonly #o: OtlpSinkOptions;
  #delegate: Delegate | undefined;
  #starting: Promise<Delegate> | undefined;
  readonly #partial = new PartialSuccess();

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#starting ??= this.#create();
    this.#delegate = await this.#starting;
  }

  /**
   * Each protocol's modules are loaded when the sink starts, so that a router that never speaks
   * gRPC never loads (or keeps in memory) @grpc/grpc-js, and so on.
   */
  async #create(): Promise<Delegate> {
    const userAgent = `${this.#o.scope.name}/${this.#o.scope.version ?? 'unknown'}`;
    if (this.#o.protocol === 'grpc') {
      const { grpcLogsDelegate } = await import('./grpc-delegate.ts');
      return grpcLogsDelegate(this.#o, userAgent, this.#partial);
    }
    const { httpLogsDelegate } = await import('./http-delegate.ts');
    return httpLogsDelegate(this.#o, userAgent, this.#partial);
  }

  export(records: readonly EventRecord[]): Promise<ExportOutcome> {
    const delegate = this.#delegate;
    if (delegate === undefined) return Promise.resolve({ ok: false, error: new ExportError('E_EXPORT_NOT_STARTED', `sink ${this.name} is not started`) });
    const readable = toReadableLogRecords(records, this.#o.scope);
    return new Promise((resolve) => {
      try {
        delegate.export(readable, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) return resolve({ ok: false, error: toExportError(result.error) });
          // A partial success: the request went through, the rejected records did not (and must not be retried).
          const partial = this.#partial.take();
          if (partial === undefined) return resolve({ ok: true });
          const count = Math.min(partial.rejected, records.length);
          const error = new Error(`the receiver rejected ${count} of ${records.length} records (OTLP partial success)${partial.message ? `: ${partial.message}` : ''}`);
          resolve({ ok: true, rejected: { records: [], count, error } });
        });
      } catch (error) {
        // Serialisation runs synchronously inside `export`: records it cannot encode fail the same way every time.
        resolve({ ok: false, error: new ExportError('E_EXPORT_ENCODE', (error as Error).message, { cause: error }) });
      }
    });
  }

  async shutdown(): Promise<void> {
    const delegate = this.#delegate;
    this.#delegate = undefined;
    this.#starting = undefined;
    await delegate?.shutdown();
  }
}
