import * as grpc from '@grpc/grpc-js';
import { decodeProtobufLogs, encodeEmptyLogsResponse, type ReceivedLog } from './otlp-receiver.ts';

/**
 * An OTLP gRPC logs service on port 0 whose answers the test scripts (null: success); keeps the logs it took and counts calls.
 * `options` are grpc-js server options, e.g. `grpc.max_receive_message_length` (default 4 MiB, as the Collector's).
 */
export async function grpcReceiver(answer: () => grpc.ServiceError | null = () => null, credentials = grpc.ServerCredentials.createInsecure(), options: grpc.ServerOptions = {}) {
  const server = new grpc.Server(options);
  let calls = 0;
  const received: ReceivedLog[] = [];
  let metadata: grpc.Metadata | undefined;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        calls += 1;
        metadata = call.metadata;
        const error = answer();
        if (error) return callback(error);
        received.push(...decodeProtobufLogs(call.request).flatMap((rl) => rl.logs));
        callback(null, encodeEmptyLogsResponse());
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, p) => (error ? reject(error) : resolve(p))),
  );
  return { url: `http://127.0.0.1:${port}`, port, calls: () => calls, logs: () => received.length, received, metadata: () => metadata, stop: () => server.forceShutdown() };
}
