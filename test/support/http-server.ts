/**
 * Closing a test's own node:http server between tests. Connections are cut first: a server that
 * still holds a keep-alive socket or a hanging watch would otherwise make `close` wait forever.
 */
import type { Server } from 'node:http';

/** Cuts every connection of `server` and resolves once it is closed; nothing to do without one. */
export async function closeServer(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
