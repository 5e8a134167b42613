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
      // Set once the status line is in: the answer, from the status and what the body brought so far.
      let answer: (() => void) | undefined;
      const req = this.#request(this.#o.url, { method: 'POST', agent: this.#agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        const body = new AnswerBody();
        answer = () => {
          const text = body.bytes();
          if (status >= 200 && status < 300) finish({ status: 'success', data: text });
          else fail(httpStatusError(status, parseRetryAfter(res.headers['retry-after']), text.subarray(0, MAX_ERROR_BODY).toString('utf8')));
        };
        void body.read(res).then(
          () => {
            answer?.();
            // What is left of a body over the cap is not worth reading (nor the connection keeping).
            if (!res.complete) res.destroy();
          },
          // The connection broke after the status line: the status still says what became of the records.
          () => answer?.(),
        );
      });
      const timer = setTimeout(() => {
        // A 2xx status says the records were accepted: a body that never ends (a proxy's wrong
        // Content-Length, a trickle) is no reason to send them again, and retrying it for ever
        // held the checkpoint and the source while the receiver got a duplicate each time.
        if (answer !== undefined) answer();
        else fail(new ExportError('E_EXPORT_TIMEOUT', `no answer from ${this.#o.url} within ${timeoutMillis} ms`));
        req.destroy();
      }, timeoutMillis);
      req.on('error', (error) => (answer !== undefined ? answer() : fail(new ExportError('E_EXPORT_NETWORK', error.message, { cause: error }))));
      req.end(body);
    });
  }

  shutdown(): void {
    this.#agent.destroy();
  }
}

/** Bytes of an answer read at most: a success is a small ExportLogsServiceResponse, an error page is cut for the log. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** An answer's body, read up to {@link MAX_ANSWER_BYTES}; what arrived so far stays readable. */
class AnswerBody {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  /** Resolves when the body ended or reached the cap. */
  async read(res: IncomingMessage): Promise<void> {
    for await (const chunk of res) {
      this.#chunks.push(chunk as Buffer);
      this.#size += (chunk as Buffer).length;
      if (this.#size >= MAX_ANSWER_BYTES) return;
    }
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks).subarray(0, MAX_ANSWER_BYTES);
  }
}
