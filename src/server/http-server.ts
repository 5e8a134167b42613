import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../telemetry/metrics.ts';

/** What `/healthz` and `/readyz` report. */
export interface HealthStatus {
  /** The process works and, when leading, its watches are not stuck: false makes the kubelet restart the pod. */
  alive: boolean;
  /** Leading and synced, or a healthy standby: false takes the pod out of the Service. */
  ready: boolean;
  details: Record<string, unknown>;
}

/** `/metrics` (Prometheus text), `/healthz` (liveness), `/readyz` (readiness). */
export class HttpServer {
  readonly #server: Server;
  readonly #listen: string;

  constructor(listen: string, metrics: Metrics, health: () => HealthStatus) {
    this.#listen = listen;
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (error: Error) => {
            res.writeHead(500);
            res.end(error.message);
          },
        );
        return;
      }
      if (path === '/healthz' || path === '/readyz') {
        const status = health();
        const ok = path === '/healthz' ? status.alive : status.ready;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...status.details }));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
  }

  /** Listens on `host:port` (`[::]:8080` for IPv6); resolves with the bound address. */
  async start(): Promise<string> {
    const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(this.#listen);
    if (match === null) throw new Error(`server.listen: expected host:port, got "${this.#listen}"`);
    const host = match[1] || '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(Number(match[2]), host, () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    return `${address.address}:${address.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
  }
}
