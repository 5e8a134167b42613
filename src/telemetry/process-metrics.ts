import type { BatchObservableResult, Meter, ObservableResult } from '@opentelemetry/api';
import { readdirSync } from 'node:fs';

const START_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/**
 * The router's process metrics, read at collection: CPU, resident memory, heap, open files and
 * event loop lag, under the names (and help texts) prom-client's default metrics gave them with
 * the `eventrouter_` prefix. Only these: the rest of prom-client's set (handles, heap spaces,
 * GC histogram, event loop percentiles) sampled the event loop 100 times a second at rest and
 * no dashboard or alert of ours reads them (CHANGELOG).
 */
export function registerProcessMetrics(meter: Meter): void {
  const cpuUser = meter.createObservableCounter('eventrouter_process_cpu_user_seconds_total', { description: 'Total user CPU time spent in seconds.' });
  const cpuSystem = meter.createObservableCounter('eventrouter_process_cpu_system_seconds_total', { description: 'Total system CPU time spent in seconds.' });
  const cpuTotal = meter.createObservableCounter('eventrouter_process_cpu_seconds_total', { description: 'Total user and system CPU time spent in seconds.' });
  meter.addBatchObservableCallback(
    (result: BatchObservableResult) => {
      const { user, system } = process.cpuUsage();
      result.observe(cpuUser, user / 1e6);
      result.observe(cpuSystem, system / 1e6);
      result.observe(cpuTotal, (user + system) / 1e6);
    },
    [cpuUser, cpuSystem, cpuTotal],
  );

  const rss = meter.createObservableGauge('eventrouter_process_resident_memory_bytes', { description: 'Resident memory size in bytes.' });
  const heapTotal = meter.createObservableGauge('eventrouter_nodejs_heap_size_total_bytes', { description: 'Process heap size from Node.js in bytes.' });
  const heapUsed = meter.createObservableGauge('eventrouter_nodejs_heap_size_used_bytes', { description: 'Process heap size used from Node.js in bytes.' });
  const external = meter.createObservableGauge('eventrouter_nodejs_external_memory_bytes', { description: 'Node.js external memory size in bytes.' });
  meter.addBatchObservableCallback(
    (result: BatchObservableResult) => {
      const memory = process.memoryUsage();
      result.observe(rss, memory.rss);
      result.observe(heapTotal, memory.heapTotal);
      result.observe(heapUsed, memory.heapUsed);
      result.observe(external, memory.external);
    },
    [rss, heapTotal, heapUsed, external],
  );

  meter
    .createObservableGauge('eventrouter_process_start_time_seconds', { description: 'Start time of the process since unix epoch in seconds.' })
    .addCallback((result: ObservableResult) => result.observe(START_SECONDS));

  if (process.platform === 'linux') {
    meter.createObservableGauge('eventrouter_process_open_fds', { description: 'Number of open file descriptors.' }).addCallback((result: ObservableResult) => {
      try {
        result.observe(readdirSync('/proc/self/fd').length - 1); // less the one readdir itself opened
      } catch {
        // /proc not mounted: no value rather than a wrong one.
      }
    });
  }

  // Measured at collection, as prom-client did: the time until the loop runs an immediate.
  meter.createObservableGauge('eventrouter_nodejs_eventloop_lag_seconds', { description: 'Lag of event loop in seconds.' }).addCallback(async (result: ObservableResult) => {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => setImmediate(resolve));
    result.observe(Number(process.hrtime.bigint() - start) / 1e9);
  });
}
