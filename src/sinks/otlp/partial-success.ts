import type { IExportLogsServiceResponse, ISerializer } from '@opentelemetry/otlp-transformer';

/** What a receiver's partial success said: how many records it rejected, and why. */
export interface PartialSuccessReport {
  rejected: number;
  message: string;
}

/**
 * Catches a receiver's partial success (`rejected_log_records`) for the sink. The SDK's export
 * delegate reads the response, logs a partial success through `diag` and reports SUCCESS: the
 * rejected records would count as exported. Its response handler cannot be replaced, but the
 * serializer that decodes the response can be wrapped; the delegate decodes and reports in the
 * same turn, and a sink never runs two exports at once, so {@link take} in the result callback
 * reads the report of that very export.
 */
export class PartialSuccess {
  #last: PartialSuccessReport | undefined;

  wrap<Request>(serializer: ISerializer<Request, IExportLogsServiceResponse>): ISerializer<Request, IExportLogsServiceResponse> {
    return {
      serializeRequest: (request) => serializer.serializeRequest(request),
      deserializeResponse: (data) => {
        const response = serializer.deserializeResponse(data);
        const partial = response?.partialSuccess;
        // int64 in OTLP: a number, a string (JSON) or a Long (protobuf) depending on the decoder.
        const rejected = Number(String(partial?.rejectedLogRecords ?? 0));
        if (Number.isFinite(rejected) && rejected > 0) this.#last = { rejected, message: partial?.errorMessage ?? '' };
        return response;
      },
    };
  }

  /** The report of the export that just ended, if it was a partial success; clears it. */
  take(): PartialSuccessReport | undefined {
    const last = this.#last;
    this.#last = undefined;
    return last;
  }
}
