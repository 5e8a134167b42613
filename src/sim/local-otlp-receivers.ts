import { type Server, createServer } from 'node:http';
import type { SinkConfig } from '../config/schema.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A stand-in OTLP/HTTP receiver the demo started where a sink points at a free loopback port. */
export interface LocalReceiver {
  sink: string;
  endpoint: string;
  /** OTLP requests answered (the records themselves are counted by the router per sink). */
  requests: number;
}

/**
 * The demo's stand-ins for the Collectors of an example config: for each OTLP/HTTP sink whose
 * endpoint is a loopback address with nothing listening, an HTTP server on that port that
 * acknowledges `POST …/v1/logs` (and keeps nothing). A port something already listens on is
 * left alone: a real local Collector gets the records. gRPC sinks are left alone too.
 */
export class LocalOtlpReceivers {
  readonly receivers: LocalReceiver[] = [];
  readonly #servers: Server[] = [];

  async start(sinks: readonly SinkConfig[]): Promise<void> {
    for (const sink of sinks) {
      if (sink.type !== 'otlp' || sink.endpoint === undefined || sink.protocol === 'grpc') continue;
      const url = new URL(sink.endpoint);
      if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) continue;
      const receiver: LocalReceiver = { sink: sink.name, endpoint: sink.endpoint, requests: 0 };
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.method !== 'POST' || !(req.url ?? '').endsWith('/v1/logs')) {
            res.writeHead(404).end();
            return;
          }
          receiver.requests += 1;
          // An empty ExportLogsServiceResponse: full success, in the request's encoding.
          const json = (req.headers['content-type'] ?? '').includes('json');
          res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
        });
      });
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const port = Number(url.port || 80);
      const listening = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, host, () => resolve(true));
      });
      if (!listening) continue;
      this.#servers.push(server);
      this.receivers.push(receiver);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }
}
