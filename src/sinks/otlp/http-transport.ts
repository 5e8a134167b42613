import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { parseRetryAfter } from '../../util/retry-after.ts';
import { ExportError, httpStatusError } from '../export-error.ts';
import type { OtlpSettings } from './otlp-settings.ts';

const gzip = promisify(gzipCallback);

/** Enough of an error answer's body for the log line; the rest is read and dropped. */
const MAX_ERROR_BODY = 4096;

export interface HttpTransportOptions {
  url: string;
  contentType: 'application/x-protobuf' | 'application/json';
  headers: Record<string, string>;
  compression: OtlpSettings['compression'];
  tls: OtlpSettings['tls'];
  userAgent: string;
}

/**
 * One OTLP/HTTP POST per `send`, and no retry: the OpenTelemetry SDK's own HTTP transport is
 * not exported, and its exporters wrap it in a retrying transport (5 attempts, its own backoff)
 * that would run inside our retry sender. Every failure carries an {@link ExportError}, which
 * the SDK's export delegate hands through untouched (its `retryable` status alone would drop
 * the Retry-After delay).
 */
export class HttpTransport implements IExporterTransport {
  readonly #o: HttpTransportOptions;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(options: HttpTransportOptions) {
    this.#o = options;
    const secure = options.url.startsWith('https:');
    const { ca, cert, key, insecureSkipVerify } = options.tls;
    this.#agent = secure
      ? new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: !insecureSkipVerify })
      : new HttpAgent({ keepAlive: true });
    this.#request = secure ? httpsRequest : httpRequest;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const body = this.#o.compression === 'gzip' ? await gzip(data) : data;
    const headers: Record<string, string | number> = {
      ...this.#o.headers,
      'Content-Type': this.#o.contentType,
      'Content-Length': body.byteLength,
      'User-Agent': this.#o.userAgent,
      ...(this.#o.compression === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
    };
    return new Promise<ExportResponse>((resolve) => {
      let settled = false;
      const finish = (response: ExportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      const fail = (error: ExportError) =>
        finish(error.retryable ? { status: 'retryable', error, ...(error.retryAfterMs !== undefined ? { retryInMillis: error.retryAfterMs } : {}) } : { status: 'failure', error });
      const req = this.#request(this.#o.url, { method: 'POST', agent: this.#agent, headers }, (res) => {
        void readBody(res).then(
          (answer) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) finish({ status: 'success', data: answer });
            else fail(httpStatusError(status, parseRetryAfter(res.headers['retry-after']), answer.subarray(0, MAX_ERROR_BODY).toString('utf8')));
          },
          (error: Error) => fail(new ExportError('E_EXPORT_NETWORK', `reading the answer: ${error.message}`, { cause: error })),
        );
      });
      const timer = setTimeout(() => {
        fail(new ExportError('E_EXPORT_TIMEOUT', `no answer from ${this.#o.url} within ${timeoutMillis} ms`));
        req.destroy();
      }, timeoutMillis);
      req.on('error', (error) => fail(new ExportError('E_EXPORT_NETWORK', error.message, { cause: error })));
      req.end(body);
    });
  }

  shutdown(): void {
    this.#agent.destroy();
  }
}

async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    // A success answer is a small ExportLogsServiceResponse; an error page is cut for the log.
    if (size < 1024 * 1024) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks);
}
