import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { walkLogsRequest } from './otlp-wire.ts';

/**
 * An OTLP/HTTP receiver that is down (answers 503 to every request, after reading it) until
 * `recover()`, then takes requests and counts their records: the sink in an outage of the
 * `--outage` bench. In the bench process: it does little work while down.
 */
export class OutageReceiver {
  readonly #server: Server;
  down = true;
  refused = 0;
  requests = 0;
  records = 0;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.down) {
          this.refused += 1;
          res.writeHead(503, { 'content-type': 'text/plain' }).end('down for the bench');
          return;
        }
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        this.requests += 1;
        this.records += walkLogsRequest(body).records;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  recover(): void {
    this.down = false;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
