import { ExportResultCode, type InstrumentationScope } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { EventRecord } from '../../model/event-record.ts';
import { ExportError, toExportError } from '../export-error.ts';
import type { ExportOutcome, Sink } from '../sink.ts';
import { type EncodedLogRecord, LogRecordEncoder } from './log-record-encoder.ts';
import type { OtlpSettings } from './otlp-settings.ts';
import { PartialSuccess } from './partial-success.ts';
import { toReadableLogRecords } from './resource-grouping.ts';

export interface OtlpSinkOptions extends OtlpSettings {
  name: string;
  scope: InstrumentationScope;
}

/** What an OTLP sink exports: records as its queue encoded them (protobuf), or records (http/json, or a direct call). */
export type OtlpItem = EncodedLogRecord | EventRecord;

type Delegate = { json: true; delegate: IOtlpExportDelegate<ReadableLogRecord[]> } | { json: false; delegate: IOtlpExportDelegate<EncodedLogRecord[]> };

/**
 * Exports over OTLP with the OpenTelemetry JS building blocks (the export delegate, the gRPC
 * transport, the JSON serialiser), making exactly one attempt per `export`: retrying is the
 * retry sender's job, so no SDK retrying transport and no SDK processor (which drops on a
 * full queue or after a few retries) is involved. The settings come decided (`otlp-settings.ts`):
 * nothing here reads the environment.
 *
 * Over http/protobuf and gRPC each record is encoded when it enters the sink's queue
 * ({@link OtlpSink.encode}, `log-record-encoder.ts`) and a request is the concatenation of those
 * bytes: the queue holds bytes, and the records' object graphs die young instead of waiting
 * for their batch (the garbage collector's bill was the largest item of the profile,
 * bench/README.md). http/json keeps the SDK's serialiser and queues the records.
 */
export class OtlpSink implements Sink<OtlpItem> {
  readonly name: string;
  readonly encode: ((record: EventRecord) => EncodedLogRecord) | undefined;
  readonly #o: OtlpSinkOptions;
  readonly #encoder: LogRecordEncoder | undefined;
  #delegate: Delegate | undefined;
  #starting: Promise<Delegate> | undefined;
  readonly #partial = new PartialSuccess();

  constructor(options: OtlpSinkOptions) {
    this.name = options.name;
    this.#o = options;
    if (options.protocol !== 'http/json') {
      const encoder = new LogRecordEncoder(options.scope);
      this.#encoder = encoder;
      this.encode = (record) => encoder.encode(record);
    }
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
    const encoder = this.#encoder;
    if (encoder === undefined) {
      const { httpJsonLogsDelegate } = await import('./http-delegate.ts');
      return { json: true, delegate: httpJsonLogsDelegate(this.#o, userAgent, this.#partial) };
    }
    if (this.#o.protocol === 'grpc') {
      const { grpcLogsDelegate } = await import('./grpc-delegate.ts');
      return { json: false, delegate: grpcLogsDelegate(this.#o, userAgent, encoder, this.#partial) };
    }
    const { httpProtobufLogsDelegate } = await import('./http-delegate.ts');
    return { json: false, delegate: httpProtobufLogsDelegate(this.#o, userAgent, encoder, this.#partial) };
  }

  export(items: readonly OtlpItem[]): Promise<ExportOutcome<OtlpItem>> {
    const started = this.#delegate;
    if (started === undefined) return Promise.resolve({ ok: false, error: new ExportError('E_EXPORT_NOT_STARTED', `sink ${this.name} is not started`) });
    return new Promise((resolve) => {
      const done = (result: { code: ExportResultCode; error?: Error }) => {
        if (result.code !== ExportResultCode.SUCCESS) return resolve({ ok: false, error: toExportError(result.error) });
        // A partial success: the request went through, the rejected records did not (and must not be retried).
        const partial = this.#partial.take();
        if (partial === undefined) return resolve({ ok: true });
        const count = Math.min(partial.rejected, items.length);
        const error = new Error(`the receiver rejected ${count} of ${items.length} records (OTLP partial success)${partial.message ? `: ${partial.message}` : ''}`);
        resolve({ ok: true, rejected: { records: [], count, error } });
      };
      try {
        if (started.json) started.delegate.export(toReadableLogRecords(items as readonly EventRecord[], this.#o.scope), done);
        else started.delegate.export(items.map((item) => ('event' in item ? (this.#encoder as LogRecordEncoder).encode(item) : item)), done);
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
    await delegate?.delegate.shutdown();
  }
}
