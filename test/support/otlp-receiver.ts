import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const root = protobuf.parse(readFileSync(new URL('./otlp-logs.proto', import.meta.url), 'utf8'), { keepCase: false }).root;
const RequestType = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
const ResponseType = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');

export type Attributes = Record<string, unknown>;

/** One log record as received, in a shape common to protobuf and JSON requests. */
export interface ReceivedLog {
  resource: Attributes;
  scope: { name: string; version: string };
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  eventName: string;
  attributes: Attributes;
}

export interface ReceivedRequest {
  contentType: string;
  encoding: string;
  headers: IncomingMessage['headers'];
  resourceLogs: Array<{ resource: Attributes; logs: ReceivedLog[] }>;
}

function anyValue(value: Record<string, unknown> | undefined | null): unknown {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value && value['stringValue'] !== undefined) return value['stringValue'];
  if ('boolValue' in value && value['boolValue'] !== undefined) return value['boolValue'];
  if ('intValue' in value && value['intValue'] !== undefined) return Number(value['intValue']);
  if ('doubleValue' in value && value['doubleValue'] !== undefined) return Number(value['doubleValue']);
  if ('arrayValue' in value && value['arrayValue']) {
    return ((value['arrayValue'] as { values?: Array<Record<string, unknown>> }).values ?? []).map(anyValue);
  }
  if ('kvlistValue' in value && value['kvlistValue']) {
    return attributes((value['kvlistValue'] as { values?: Array<Record<string, unknown>> }).values);
  }
  return undefined;
}

function attributes(list: Array<Record<string, unknown>> | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[String(kv['key'])] = anyValue(kv['value'] as Record<string, unknown>);
  return out;
}

/** Decodes an OTLP/HTTP logs request body (protobuf or JSON) into {@link ReceivedRequest} records. */
/** Decodes a protobuf ExportLogsServiceRequest (e.g. the body of a gRPC call). */
export function decodeProtobufLogs(body: Buffer) {
  return decodeLogsRequest(body, 'application/x-protobuf');
}

export function encodeEmptyLogsResponse(): Buffer {
  return Buffer.from(ResponseType.encode(ResponseType.create({})).finish());
}

/** An ExportLogsServiceResponse carrying a partial success: the receiver took the request but rejected `rejectedLogRecords` of its records. */
export function encodePartialSuccessResponse(rejectedLogRecords: number, errorMessage: string): Buffer {
  return Buffer.from(ResponseType.encode(ResponseType.create({ partialSuccess: { rejectedLogRecords, errorMessage } })).finish());
}

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A JSON number or decimal string within [min, max], as the Collector's OTLP/JSON reader takes a 64-bit integer. */
function isInteger(value: unknown, min: bigint, max: bigint): boolean {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= min && n <= max;
}

/**
 * Refuses what the Collector's OTLP/JSON reader refuses (`ReadUint64`/`ReadInt64`: the whole
 * request answered 400): a time that is not an unsigned 64-bit count of nanoseconds (before
 * 1970 or after 2554) and an `intValue` outside int64 (`1e+300`). Protobuf cannot carry either.
 */
function checkJsonIntegers(message: Record<string, unknown>): void {
  const checkValue = (value: Record<string, unknown> | undefined, where: string): void => {
    if (value !== undefined && 'intValue' in value && !isInteger(value['intValue'], INT64_MIN, INT64_MAX)) {
      throw new Error(`ReadInt64: ${String(value['intValue'])} is not an int64 (${where})`);
    }
  };
  for (const rl of (message['resourceLogs'] as Array<Record<string, unknown>> | undefined) ?? []) {
    for (const kv of ((rl['resource'] as { attributes?: Array<Record<string, unknown>> } | undefined)?.attributes ?? [])) checkValue(kv['value'] as Record<string, unknown>, String(kv['key']));
    for (const sl of (rl['scopeLogs'] as Array<Record<string, unknown>> | undefined) ?? []) {
      for (const lr of (sl['logRecords'] as Array<Record<string, unknown>> | undefined) ?? []) {
        for (const field of ['timeUnixNano', 'observedTimeUnixNano']) {
          if (field in lr && !isInteger(lr[field], 0n, UINT64_MAX)) throw new Error(`ReadUint64: ${String(lr[field])} is not a uint64 (${field})`);
        }
        for (const kv of (lr['attributes'] as Array<Record<string, unknown>> | undefined) ?? []) checkValue(kv['value'] as Record<string, unknown>, String(kv['key']));
      }
    }
  }
}

export function decodeLogsRequest(body: Buffer, contentType: string): Array<{ resource: Attributes; logs: ReceivedLog[] }> {
  const json = contentType.includes('json');
  const message = json
    ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
    : (RequestType.toObject(RequestType.decode(body), { longs: String, bytes: String, defaults: false }) as Record<string, unknown>);
  if (json) checkJsonIntegers(message);
  const out: Array<{ resource: Attributes; logs: ReceivedLog[] }> = [];
  for (const rl of (message['resourceLogs'] as Array<Record<string, unknown>> | undefined) ?? []) {
    const resource = attributes((rl['resource'] as { attributes?: Array<Record<string, unknown>> } | undefined)?.attributes);
    const logs: ReceivedLog[] = [];
    for (const sl of (rl['scopeLogs'] as Array<Record<string, unknown>> | undefined) ?? []) {
      const scope = (sl['scope'] as { name?: string; version?: string } | undefined) ?? {};
      for (const lr of (sl['logRecords'] as Array<Record<string, unknown>> | undefined) ?? []) {
        logs.push({
          resource,
          scope: { name: scope.name ?? '', version: scope.version ?? '' },
          timeUnixNano: String(lr['timeUnixNano'] ?? '0'),
          observedTimeUnixNano: String(lr['observedTimeUnixNano'] ?? '0'),
          severityNumber: Number(lr['severityNumber'] ?? 0),
          severityText: String(lr['severityText'] ?? ''),
          body: anyValue(lr['body'] as Record<string, unknown>),
          eventName: String(lr['eventName'] ?? ''),
          attributes: attributes(lr['attributes'] as Array<Record<string, unknown>>),
        });
      }
    }
    out.push({ resource, logs });
  }
  return out;
}

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'destroy' };

/**
 * An OTLP/HTTP logs receiver on loopback that decodes what it gets (protobuf or JSON,
 * gzip or not) and can be told to fail: answer a status, answer slowly, drop the connection.
 */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Consumed one per request; when empty, requests succeed. */
  readonly behaviours: Behaviour[] = [];
  /** Applied to every request while set (e.g. a long outage). */
  always: Behaviour | undefined;
  /** A request body (as sent, compressed or not) over this many bytes is answered 413, as a size-limited Collector does. */
  maxBodyBytes: number | undefined;
  /** Bodies answered 413 because of {@link maxBodyBytes}. */
  tooLarge = 0;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  url = '';
  attempts = 0;

  /** Forgets what it received and what it was told to answer (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.behaviours.length = 0;
    this.always = undefined;
    this.maxBodyBytes = undefined;
    this.tooLarge = 0;
    this.attempts = 0;
  }

  get logs(): ReceivedLog[] {
    return this.requests.flatMap((r) => r.resourceLogs.flatMap((rl) => rl.logs));
  }

  /** Client certificate subjects (CN) seen on TLS connections. */
  readonly clientCertificates: string[] = [];

  async start(port = 0, tls?: HttpsOptions): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (tls) {
        const cert = (req.socket as TLSSocket).getPeerCertificate?.();
        if (cert && cert.subject) this.clientCertificates.push(String(cert.subject.CN));
      }
      void this.#handle(req, res);
    };
    this.#server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.attempts += 1;
    const behaviour = this.always ?? this.behaviours.shift() ?? { kind: 'ok' };
    if (behaviour.kind === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (behaviour.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (behaviour.retryAfterSeconds !== undefined) headers['retry-after'] = String(behaviour.retryAfterSeconds);
      res.writeHead(behaviour.status, headers);
      res.end('injected failure');
      return;
    }
    if (behaviour.kind === 'delay') await new Promise((r) => setTimeout(r, behaviour.ms));
    let body = Buffer.concat(chunks);
    if (this.maxBodyBytes !== undefined && body.length > this.maxBodyBytes) {
      this.tooLarge += 1;
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end(`request body ${body.length} bytes is over the limit of ${this.maxBodyBytes}`);
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? '');
    if (encoding === 'gzip') body = gunzipSync(body);
    const contentType = String(req.headers['content-type'] ?? '');
    try {
      this.requests.push({ contentType, encoding, headers: req.headers, resourceLogs: decodeLogsRequest(body, contentType) });
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`cannot decode: ${(error as Error).message}`);
      return;
    }
    if (contentType.includes('json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    } else {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(Buffer.from(ResponseType.encode(ResponseType.create({})).finish()));
    }
  }
}

/** Polls `predicate` until it holds or `timeoutMs` passes (a bound for a hang, generous for a loaded machine); throws with `what` on timeout. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
