import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Component } from '../component/component.ts';
import { LISTEN_HINT, parseListen } from '../config/addresses.ts';
import type { Config } from '../config/schema.ts';
import { PROMETHEUS_CONTENT_TYPE, type Metrics } from '../telemetry/metrics.ts';

/** The /metrics server could not listen on `server.listen`. */
export class ListenError extends Error {
  readonly key = 'server.listen';
  readonly listen: string;
  /** The system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL, …), if the system refused. */
  readonly code: string | undefined;
  constructor(listen: string, code: string | undefined, detail: string) {
    const what =
      code === 'EADDRINUSE' ? 'is already in use; stop the process that holds it or choose another port'
        : code === 'EACCES' ? 'is not permitted (a port below 1024 needs privileges)'
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? 'is not an address of this machine'
            : detail;
    super(`server.listen: cannot listen on "${listen}": ${what}${code ? ` (${code})` : ''}`);
    this.name = 'ListenError';
    this.listen = listen;
    this.code = code;
  }
}

/** What `/healthz` and `/readyz` report. */
export interface HealthStatus {
  /** The process works and, when leading, its watches are not stuck: false makes the kubelet restart the pod. */
  alive: boolean;
  /** Leading and synced, or a healthy standby: false takes the pod out of the Service. */
  ready: boolean;
  /** What is wrong, in words; on `/readyz` a ready pod with problems says `degraded` (still 200). */
  problems?: string[];
  details: Record<string, unknown>;
}

export interface HttpServerDeps {
  metrics: Metrics;
  health: () => HealthStatus;
}

/** `/metrics` (Prometheus text), `/healthz` (liveness), `/readyz` (readiness). */
export class HttpServer implements Component {
  readonly #server: Server;
  readonly #listen: string;
  #address: string | undefined;

  constructor(listen: string, { metrics, health }: HttpServerDeps) {
    this.#listen = listen;
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        metrics.text().then(
          (text) => {
            res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
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
        const problems = status.problems ?? [];
        // "degraded" only on /readyz: liveness problems make /healthz fail, the others are not its business.
        const word = !ok ? 'unavailable' : path === '/readyz' && problems.length > 0 ? 'degraded' : 'ok';
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: word, ...(problems.length > 0 ? { problems } : {}), ...status.details }));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
  }

  /** The bound `host:port` once started (port 0 in `server.listen` picks a free one). */
  get address(): string | undefined {
    return this.#address;
  }

  /** Listens on `host:port` (`[::]:8080` for IPv6); rejects with a {@link ListenError}. */
  async start(): Promise<void> {
    const address = parseListen(this.#listen);
    if (address === undefined) throw new ListenError(this.#listen, undefined, LISTEN_HINT);
    const host = address.host || '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(this.#listen, error.code, error.message)));
      this.#server.listen(address.port, host, () => resolve());
    });
    const bound = this.#server.address() as AddressInfo;
    this.#address = `${bound.address}:${bound.port}`;
  }

  async shutdown(): Promise<void> {
    // close() calls back at once with ERR_SERVER_NOT_RUNNING when not listening (never started,
    // listen failed, or already closed); that is fine.
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
  }
}

/** The server that `server.*` configures; undefined when `server.listen` is empty (no endpoints). */
export function createHttpServer(config: Pick<Config['server'], 'listen'>, deps: HttpServerDeps): HttpServer | undefined {
  return config.listen === '' ? undefined : new HttpServer(config.listen, deps);
}
