// The config module alone: the package index also loads exec, attach, cp, port-forward and
// the generated API clients, none of which the router uses.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Socket } from 'node:net';
import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions, request as httpsRequest } from 'node:https';
import { findCredentials } from './find-credentials.ts';
import { parseRetryAfter } from '../util/retry-after.ts';
import { untilAborted } from '../util/until-aborted.ts';
import { sleep } from '../util/sleep.ts';

/** Connection pools are rebuilt this often, so that rotated client certificates are picked up. */
const AGENT_MAX_AGE_MS = 10 * 60_000;

/** A non-2xx answer of the API server, with its Status `reason` (and `details.causes[].reason`) when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  /** `details.causes[].reason` of the Status, e.g. `ResourceVersionTooLarge` on a 504. */
  readonly causes: readonly string[];
  /** The server's `Retry-After` (429, 503), capped at a minute ({@link parseRetryAfter}). */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, reason: string | undefined, message: string, causes: readonly string[] = [], retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.causes = causes;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An answer longer than its reader accepts (see {@link KubeResponse.text}). */
export class ResponseTooLargeError extends Error {
  constructor(bytes: number, maxBytes: number) {
    super(`the API server's answer is over ${maxBytes} bytes (${bytes} read or announced)`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * Bytes of one object's answer read at most: etcd stores at most 1.5 MiB per object; anything
 * larger is a misbehaving server (or proxy), not read on. LIST pages have their own bound.
 */
export const MAX_OBJECT_BYTES = 4 * 1024 * 1024;

/** Of an error answer, what is read for its Status: a Status is small, an HTML error page need not be. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** How long a request waits for its credentials by default (client-go's exec plugins have no bound; a hung one must not stall the router). */
const CREDENTIALS_TIMEOUT_MS = 30_000;

/** The kubeconfig's credentials (an exec plugin, an auth provider) did not resolve in time. */
export class CredentialsTimeoutError extends Error {
  override name = 'CredentialsTimeoutError';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  contentType?: string;
  /** Default `application/json`. */
  accept?: string;
  signal?: AbortSignal;
  /** Per-request deadline in ms (default 30 s); 0 for none (watches have their own watchdog). */
  timeoutMs?: number;
}

/** The body of an answer: its bytes as they arrive, or cancelled. */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  cancel(): Promise<void>;
  /**
   * Stops reading the connection: what the server sends meanwhile waits in the socket's buffers,
   * not handled chunk by chunk, until the returned function is called.
   */
  hold(): () => void;
  /**
   * When nothing more of the body is waiting to be read (checked after the event loop's next
   * poll, since TLS hands its records over one at a time), holds the connection for `ms` (or
   * until `signal` aborts), so that what the server sends meanwhile is read as one chunk;
   * resolves with whether it held. A body that is flowing (a backlog) or has ended is not held.
   */
  coalesce(ms: number, signal: AbortSignal): Promise<boolean>;
}

/** libuv's stream handle under a socket (net's `_handle`), as net.Socket's own pause and resume of an `onread` socket drive it. */
interface StreamHandle {
  reading: boolean;
  readStop(): number;
  readStart(): number;
}

const NOTHING_HELD = (): void => {};

/**
 * Stops reading `socket` until the returned function is called. `socket.pause()` would only stop
 * its 'data' events: the socket reads on into its own buffer (up to 64 KiB), one wake-up and
 * read per packet, which is the cost a hold is for. Stopping the handle, as `pause()` does for a
 * socket with `onread`, leaves the bytes in the kernel until the hold ends. A socket without such
 * a handle (closed, or another Node's) is not held.
 */
function holdSocket(socket: Socket): () => void {
  const handle = (socket as Socket & { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle?.reading !== true || typeof handle.readStop !== 'function' || typeof handle.readStart !== 'function') return NOTHING_HELD;
  const held = handle as StreamHandle;
  held.reading = false;
  held.readStop();
  return () => {
    if (socket.destroyed || (socket as Socket & { _handle?: unknown })._handle !== held || held.reading) return;
    held.reading = true;
    const error = held.readStart();
    if (error !== 0) socket.destroy(new Error(`cannot read the API server's connection again (libuv error ${error})`));
  };
}

/** An answer of the API server; the body is read at most once (`body`, `text()` or `json()`). */
export class KubeResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly #message: IncomingMessage;

  constructor(message: IncomingMessage) {
    this.#message = message;
    this.status = message.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = message.headers;
  }

  get body(): ResponseBody {
    const message = this.#message;
    return {
      [Symbol.asyncIterator]: () => message[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
      cancel: async () => {
        message.destroy();
      },
      hold: () => (message.socket && !message.complete ? holdSocket(message.socket) : NOTHING_HELD),
      coalesce: async (ms, signal) => {
        await new Promise((resolve) => setImmediate(resolve));
        // Ended (a keep-alive answer gives its socket back to the pool: `socket` is null), or more
        // to read now: no hold.
        if (message.complete || !message.socket || message.readableLength > 0 || signal.aborted) return false;
        const release = holdSocket(message.socket);
        await sleep(ms, signal);
        release();
        return true;
      },
    };
  }

  /**
   * The body as text. With `maxBytes`, a longer body is not read on: the connection is closed
   * and {@link ResponseTooLargeError} thrown, so that a misbehaving server (or a proxy's error
   * page) cannot make the router buffer without bound.
   */
  async text(maxBytes = Infinity): Promise<string> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const announced = Number(this.headers['content-length']);
    if (announced > maxBytes) {
      this.#message.destroy();
      throw new ResponseTooLargeError(announced, maxBytes);
    }
    for await (const chunk of this.#message) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) {
        this.#message.destroy();
        throw new ResponseTooLargeError(bytes, maxBytes);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async json<T = unknown>(maxBytes = Infinity): Promise<T> {
    return JSON.parse(await this.text(maxBytes)) as T;
  }
}

/**
 * The thin HTTP layer over the API server. `@kubernetes/client-node` resolves the credentials
 * (in-cluster service account, kubeconfig, exec and auth-provider plugins, client
 * certificates, proxies) into Node's https options; requests go through `node:https` with a
 * keep-alive pool, so that the router reads raw JSON pages and watch streams itself —
 * client-node's `Watch` swallows malformed lines and cannot apply back-pressure, its typed list
 * API materialises every object — and never loads a second HTTP client (bench/README.md, "At rest").
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly #url: URL;
  #agent: { value: HttpAgent; createdAt: number } | undefined;
  /** The credentials being resolved now: one exec plugin run at a time, shared by every request that needs it. */
  #credentials: Promise<HttpsRequestOptions> | undefined;
  readonly #credentialsTimeoutMs: number;

  /**
   * @param credentialsTimeoutMs how long a request waits for its credentials (an exec plugin
   * such as `aws eks get-token` that hangs on a metadata endpoint) before it fails naming them.
   */
  constructor(kubeConfig: KubeConfig, { credentialsTimeoutMs = CREDENTIALS_TIMEOUT_MS }: { credentialsTimeoutMs?: number } = {}) {
    this.#credentialsTimeoutMs = credentialsTimeoutMs;
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/+$/, '');
    this.#url = new URL(this.server);
    if (this.#url.protocol === 'http:' && !cluster.skipTLSVerify) {
      throw new Error(`the cluster ${cluster.name} is served over plain http (${this.server}); client-node allows that only with insecure-skip-tls-verify`);
    }
  }

  /**
   * KUBECONFIG, else ~/.kube/config, else the in-cluster service account (client-node's order);
   * throws {@link NoCredentialsError} naming where it looked when there is none.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): KubeClient {
    const source = findCredentials(env);
    const kc = new KubeConfig();
    if (source.kind === 'in-cluster') kc.loadFromCluster();
    else {
      try {
        kc.loadFromDefault();
      } catch (error) {
        // client-node's YAML error ("deficient indentation (2:1)") does not say which file it read.
        throw new Error(`cannot load the kubeconfig ${source.files.join(', ')}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
      }
    }
    return new KubeClient(kc);
  }

  static fromServer(server: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'sim', server, skipTLSVerify: true }, { name: 'sim' });
    return new KubeClient(kc);
  }

  /** Sends a request; resolves with the response of any status (the body is not consumed). */
  async request(path: string, options: RequestOptions = {}): Promise<KubeResponse> {
    const method = options.method ?? 'GET';
    const https = await this.#resolveCredentials(options.signal);
    const headers: OutgoingHttpHeaders = { ...(https.headers as OutgoingHttpHeaders | undefined), accept: options.accept ?? 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const send = this.#url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        new URL(this.#url.pathname.replace(/\/+$/, '') + path, this.#url),
        {
          method,
          headers,
          agent: this.#agentFor(https),
          ...(https.auth ? { auth: https.auth } : {}),
          ...(signal ? { signal } : {}),
        },
        (message) => resolve(new KubeResponse(message)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Credentials per request (exec plugins and token files refresh what they return), resolved
   * once for all requests waiting at the same time, and bounded: a hung plugin fails each request
   * with an error that names it, instead of leaving the watch, the checkpoint and the Lease
   * waiting for ever, and never piles up one child process per retry.
   */
  async #resolveCredentials(signal: AbortSignal | undefined): Promise<HttpsRequestOptions> {
    let pending = this.#credentials;
    if (pending === undefined) {
      const https: HttpsRequestOptions = {};
      const started = this.kubeConfig.applyToHTTPSOptions(https).then(() => https);
      const settle = () => {
        if (this.#credentials === started) this.#credentials = undefined;
      };
      started.then(settle, settle);
      this.#credentials = pending = started;
    }
    const deadline = AbortSignal.timeout(this.#credentialsTimeoutMs);
    const bound = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const resolved = await untilAborted(pending, bound);
    if (resolved === undefined) {
      if (signal?.aborted) throw signal.reason as Error;
      const user = this.kubeConfig.getCurrentUser();
      const plugin = user?.exec?.command ?? user?.authProvider?.name;
      throw new CredentialsTimeoutError(`the kubeconfig credentials${plugin ? ` (${user?.exec ? 'exec plugin' : 'auth provider'} ${plugin})` : ''} were not ready within ${this.#credentialsTimeoutMs / 1000}s`);
    }
    // Each request gets its own copy: the headers object is extended per request below.
    return { ...resolved, ...(resolved.headers ? { headers: { ...resolved.headers } } : {}) };
  }

  /** Sends a request for one object and parses the JSON answer (at most {@link MAX_OBJECT_BYTES}); non-2xx answers become {@link ApiError}. */
  async json<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(path, options);
    if (!response.ok) throw await toApiError(response);
    return response.json<T>(MAX_OBJECT_BYTES);
  }

  /**
   * One keep-alive pool with the cluster's TLS settings. Behind a proxy, client-node's own
   * agent (socks or http(s) proxy) is used as it is.
   */
  #agentFor(https: HttpsRequestOptions): HttpAgent {
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl) return https.agent as HttpAgent;
    const now = Date.now();
    if (this.#agent === undefined || now - this.#agent.createdAt > AGENT_MAX_AGE_MS) {
      this.#agent?.value.destroy();
      const tls = {
        ...(https.ca ? { ca: https.ca } : {}),
        ...(https.cert ? { cert: https.cert } : {}),
        ...(https.key ? { key: https.key } : {}),
        ...(https.rejectUnauthorized !== undefined ? { rejectUnauthorized: https.rejectUnauthorized } : {}),
        ...(https.servername ? { servername: https.servername } : {}),
      };
      const value = this.#url.protocol === 'http:' ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true, ...tls });
      this.#agent = { value, createdAt: now };
    }
    return this.#agent.value;
  }
}

/** Reads a failed response's Status object (if any) into an {@link ApiError}. */
export async function toApiError(response: KubeResponse): Promise<ApiError> {
  let reason: string | undefined;
  let message = `HTTP ${response.status}`;
  const causes: string[] = [];
  try {
    const text = await response.text(MAX_ERROR_BODY_BYTES);
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
  return new ApiError(response.status, reason, message, causes, parseRetryAfter(response.headers['retry-after']));
}
