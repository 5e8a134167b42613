import { type IExportLogsServiceResponse, type IExporterMetricsHelper, type ISerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { EncodedLogRecord, LogRecordEncoder } from './log-record-encoder.ts';

/**
 * The export delegate's serializer for records encoded when they were queued: the request is
 * their concatenation (`LogRecordEncoder.request`); the response is read by the SDK's protobuf
 * deserializer. The gRPC transport sends the bytes as they are (its own serializer is the identity).
 */
export function encodedLogsSerializer(encoder: LogRecordEncoder): ISerializer<EncodedLogRecord[], IExportLogsServiceResponse> {
  return {
    serializeRequest: (records) => encoder.request(records),
    deserializeResponse: (data) => ProtobufLogsSerializer.deserializeResponse(data),
  };
}

/** The SDK's self-observability counts items as the logs helper does: one per record. */
export const ENCODED_LOGS_METRICS_HELPER: IExporterMetricsHelper<EncodedLogRecord[]> = { name: 'log', countItems: (records) => records.length };
