/**
 * Loopback ports for servers a test starts in another process (a peer, the demo's stand-in
 * Collector), where binding port 0 in that process is not possible.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether a loopback TCP port can be listened on right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback TCP port nothing uses right now, for a peer process to listen on. Chosen below the
 * kernel's ephemeral range (as scripts/e2e-cluster does): a port the OS hands out for port 0 can
 * be taken by an outgoing connection before the peer binds it.
 */
export async function freePort(): Promise<number> {
  const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const low = (range[0] ?? 0) > 12_000 ? (range[0] as number) : 32_768;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await bindable(port)) return port;
  }
  throw new Error('no free loopback port below the ephemeral range');
}
