import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Component } from '../component/component.ts';
import { LISTEN_HINT, parseListen } from '../config-kit/addresses.ts';
import type { ServerConfig } from './config.ts';
import { PROMETHEUS_CONTENT_TYPE, type Metrics } from '../telemetry/metrics.ts';

/** The server could not listen on `server.listen` (or `server.metricsListen`: {@link key}). */
export class ListenError extends Error {
  readonly key: string;
  readonly listen: string;
  /** The system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL, …), if the system refused. */
  readonly code: string | undefined;
  constructor(listen: string, code: string | undefined, detail: string, key = 'server.listen') {
    const what =
      code === 'EADDRINUSE' ? 'is already in use; stop the process that holds it or choose another port'
        : code === 'EACCES' ? 'is not permitted (a port below 1024 needs privileges)'
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? 'is not an address of this machine'
            : detail;
    super(`${key}: cannot listen on "${listen}": ${what}${code ? ` (${code})` : ''}`);
    this.name = 'ListenError';
    this.key = key;
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

export interface HttpServerOptions {
  /**
   * Where `/metrics` is served (config `server.metricsListen`): unset, on `listen` with the
   * probes; `host:port`, there only (e.g. loopback, for a sidecar); "", nowhere (the OTLP push
   * of `selfMetrics` still works).
   */
  metricsListen?: string;
}

/** One listening socket and the paths it answers. */
interface Endpoint {
  readonly key: string;
  readonly listen: string;
  readonly server: Server;
  address?: string;
}

/** `/metrics` (Prometheus text), `/healthz` (liveness), `/readyz` (readiness). */
export class HttpServer implements Component {
  readonly #endpoints: Endpoint[] = [];
  readonly #metricsOnListen: boolean;

  /** `listen` "" with a `metricsListen`: /metrics only, no probes. */
  constructor(listen: string, { metrics, health }: HttpServerDeps, options: HttpServerOptions = {}) {
    const { metricsListen } = options;
    const metricsOnListen = metricsListen === undefined;
    this.#metricsOnListen = metricsOnListen;
    const serveMetrics = (res: ServerResponse) => {
      // Concurrent scrapes share one body (Metrics.scrape): each response references the same buffers.
      metrics.scrape().then(
        ({ chunks, bytes }) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': bytes });
          for (const chunk of chunks) res.write(chunk);
          res.end();
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
    };
    if (listen !== '') {
      this.#endpoints.push({
        key: 'server.listen',
        listen,
        server: createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          if (path === '/metrics' && metricsOnListen) return serveMetrics(res);
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
          notFound(res);
        }),
      });
    }
    if (!metricsOnListen && metricsListen !== '') {
      this.#endpoints.push({
        key: 'server.metricsListen',
        listen: metricsListen,
        server: createServer((req, res) => ((req.url ?? '/').split('?')[0] === '/metrics' ? serveMetrics(res) : notFound(res))),
      });
    }
  }

  /** The bound `host:port` of `server.listen` once started (port 0 picks a free one). */
  get address(): string | undefined {
    return this.#endpoints.find((e) => e.key === 'server.listen')?.address;
  }

  /** The bound `host:port` that serves /metrics; undefined when none does. */
  get metricsAddress(): string | undefined {
    return this.#metricsOnListen ? this.address : this.#endpoints.find((e) => e.key === 'server.metricsListen')?.address;
  }

  /**
   * Listens on each `host:port` (`[::]:8080` for IPv6); rejects with a {@link ListenError}, and
   * then closes the endpoints that did listen: a server whose start failed holds no port.
   */
  async start(): Promise<void> {
    try {
      await this.#listen();
    } catch (error) {
      await this.shutdown();
      throw error;
    }
  }

  async #listen(): Promise<void> {
    for (const endpoint of this.#endpoints) {
      const address = parseListen(endpoint.listen);
      if (address === undefined) throw new ListenError(endpoint.listen, undefined, LISTEN_HINT, endpoint.key);
      const host = address.host || '0.0.0.0';
      await new Promise<void>((resolve, reject) => {
        endpoint.server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(endpoint.listen, error.code, error.message, endpoint.key)));
        endpoint.server.listen(address.port, host, () => resolve());
      });
      const bound = endpoint.server.address() as AddressInfo;
      endpoint.address = `${bound.address}:${bound.port}`;
    }
  }

  async shutdown(): Promise<void> {
    for (const { server } of this.#endpoints) {
      // close() calls back at once with ERR_SERVER_NOT_RUNNING when not listening (never started,
      // listen failed, or already closed); that is fine.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
}

/** The server that `server.*` configures; undefined when it would serve nothing (`server.listen` "" and no `server.metricsListen`). */
export function createHttpServer(config: Pick<ServerConfig, 'listen' | 'metricsListen'>, deps: HttpServerDeps): HttpServer | undefined {
  const { listen, metricsListen } = config;
  if (listen === '' && (metricsListen === undefined || metricsListen === '')) return undefined;
  return new HttpServer(listen, deps, metricsListen === undefined ? {} : { metricsListen });
}
