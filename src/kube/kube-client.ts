import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch, type Response } from 'undici';

const DISPATCHER_MAX_AGE_MS = 10 * 60_000;

/** A non-2xx answer of the API server, with its Status `reason` (and `details.causes[].reason`) when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  /** `details.causes[].reason` of the Status, e.g. `ResourceVersionTooLarge` on a 504. */
  readonly causes: readonly string[];
  constructor(status: number, reason: string | undefined, message: string, causes: readonly string[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Per-request deadline in ms (default 30 s); 0 for none (watches have their own watchdog). */
  timeoutMs?: number;
}

/**
 * The thin HTTP layer over the API server. `@kubernetes/client-node` resolves the
 * credentials (in-cluster service account, kubeconfig, exec plugins, client certificates);
 * requests are made here so that the router reads raw JSON pages and watch streams itself
 * — client-node's `Watch` swallows malformed lines and cannot apply back-pressure, and its
 * typed list API materialises every object.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  /**
   * client-node builds a new connection pool for every request; reusing one keeps TLS
   * connections to the API server alive across lookups. Rebuilt now and then so rotated
   * client certificates are picked up.
   */
  #dispatcher: { value: unknown; createdAt: number } | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/+$/, '');
  }

  /** In-cluster service account when running in a pod, else KUBECONFIG / ~/.kube/config. */
  static fromEnvironment(): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubeClient(kc);
  }

  static fromServer(server: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'sim', server, skipTLSVerify: true }, { name: 'sim' });
    return new KubeClient(kc);
  }

  /** Sends a request; resolves with the response of any status (the body is not consumed). */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const method = options.method ?? 'GET';
    const ctx = new RequestContext(this.server + path, HttpMethod[method]);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const headers = ctx.getHeaders();
    headers['accept'] ??= 'application/json';
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const now = Date.now();
    if (this.#dispatcher === undefined || now - this.#dispatcher.createdAt > DISPATCHER_MAX_AGE_MS) {
      this.#dispatcher = { value: ctx.getDispatcher(), createdAt: now };
    }
    return fetch(this.server + path, {
      method,
      headers,
      body,
      dispatcher: this.#dispatcher.value as never,
      signal: signals.length > 0 ? AbortSignal.any(signals) : null,
    });
  }

  /** Sends a request and parses the JSON answer; non-2xx answers become {@link ApiError}. */
  async json<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(path, options);
    if (!response.ok) throw await toApiError(response);
    return (await response.json()) as T;
  }
}

/** Reads a failed response's Status object (if any) into an {@link ApiError}. */
export async function toApiError(response: Response): Promise<ApiError> {
  let reason: string | undefined;
  let message = `HTTP ${response.status}`;
  const causes: string[] = [];
  try {
    const text = await response.text();
    const status = JSON.parse(text) as { reason?: string; message?: string; details?: { causes?: unknown } };
    reason = status.reason;
    if (status.message) message = `HTTP ${response.status}: ${status.message}`;
    const listed = status.details?.causes;
    if (Array.isArray(listed)) {
      for (const cause of listed.slice(0, 20)) {
        const name = (cause as { reason?: unknown } | null)?.reason;
        if (typeof name === 'string') causes.push(name.slice(0, 100));
      }
    }
  } catch {
    // not a Status object; keep the status line
  }
  return new ApiError(response.status, reason, message, causes);
}
