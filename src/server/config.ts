import { z } from 'zod';
import { duration, listenAddress } from '../config-kit/schema-kit.ts';

/** `server`: the router's own HTTP endpoints (http-server.ts) and when /readyz names a sink stalled. */
export const serverConfigSchema = z
  .object({
    listen: listenAddress().default('0.0.0.0:8080').describe('host:port of /metrics, /healthz and /readyz; empty disables.'),
    deliveryStallThreshold: duration('5m').describe(
      'A sink that has records waiting and has delivered nothing for this long is named as stalled in /readyz (status degraded, still 200) and eventrouter_sink_stalled is 1.',
    ),
    metricsListen: listenAddress()
      .optional()
      .describe(
        'host:port of /metrics alone (e.g. 127.0.0.1:9090: loopback only), instead of on server.listen; empty: /metrics is not served. Unset: on server.listen.',
      ),
  })
  .strict()
  .prefault({})
  .describe("The router's own HTTP endpoints.");

export type ServerConfig = z.output<typeof serverConfigSchema>;
