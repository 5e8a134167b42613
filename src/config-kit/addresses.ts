/** `host:port` of a listening socket; the host may be empty (all interfaces) or a bracketed IPv6 address. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

export const LISTEN_HINT = 'expected host:port with a port from 0 to 65535 (e.g. 0.0.0.0:8080, [::]:8080, :8080), or "" to disable';

/**
 * Why an OTLP endpoint cannot work, or undefined. The http protocols post to a URL, so it must be
 * http:// or https://. For grpc, the OpenTelemetry JS exporter also takes a bare `host:port`
 * (as TLS) and reads only the host and port of a URL, so those forms pass too.
 */
export function otlpEndpointProblem(endpoint: string, protocol: string): string | undefined {
  const grpc = protocol === 'grpc';
  const bare = grpc ? /^[^/:\s]+:(\d{1,5})$/.exec(endpoint) : null;
  // A URL's port is checked by the URL parser; a bare one here, or the exporter fails on every send.
  if (bare !== null) return Number(bare[1]) > 65_535 ? `"${endpoint}": the port must be from 0 to 65535` : undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return grpc ? `"${endpoint}" is not a URL or host:port (e.g. http://collector:4317)` : `"${endpoint}" is not a URL (e.g. http://collector:4318)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const example = grpc ? 'http://collector:4317 or collector:4317' : 'http://collector:4318';
    // `collector:4318` parses as the scheme "collector:": say what is missing, not what it is not.
    if (/^[^/:\s]+:\d{1,5}$/.test(endpoint)) return `"${endpoint}" has no scheme: write it as a URL (e.g. http://${endpoint} or https://${endpoint})`;
    return `"${endpoint}" must be an http:// or https:// URL (e.g. ${example}); "${url.protocol}" is not a protocol the exporter speaks`;
  }
  if (url.hostname === '') return `"${endpoint}" has no host`;
  return undefined;
}
