import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { registerProcessMetrics } from '../../src/telemetry/process-metrics.ts';
import { testMeter } from '../support/meter-reader.ts';

/** The single value of each metric of one collection. */
async function read(collect: ReturnType<typeof testMeter>['collect']): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, metric] of await collect()) {
    assert.equal(metric.dataPoints.length, 1, name);
    out[name] = metric.dataPoints[0]!.value as number;
  }
  return out;
}

describe('process metrics', () => {
  it("publishes prom-client's names for CPU, memory, heap, start time, open files and event loop lag, and only those", async () => {
    const { meter, collect } = testMeter();
    registerProcessMetrics(meter);
    const names = [...(await collect()).keys()].sort();
    assert.deepEqual(names, [
      'eventrouter_nodejs_eventloop_lag_seconds',
      'eventrouter_nodejs_external_memory_bytes',
      'eventrouter_nodejs_heap_size_total_bytes',
      'eventrouter_nodejs_heap_size_used_bytes',
      'eventrouter_process_cpu_seconds_total',
      'eventrouter_process_cpu_system_seconds_total',
      'eventrouter_process_cpu_user_seconds_total',
      ...(process.platform === 'linux' ? ['eventrouter_process_open_fds'] : []),
      'eventrouter_process_resident_memory_bytes',
      'eventrouter_process_start_time_seconds',
    ].sort());
  });

  it('reads the process at each collection: CPU in seconds that only grows, user + system = total, a start time before now', async () => {
    const { meter, collect } = testMeter();
    registerProcessMetrics(meter);
    const first = await read(collect);
    // Some CPU to count.
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    assert.ok(x > 0);
    const second = await read(collect);
    const cpu = process.cpuUsage();
    assert.ok(second['eventrouter_process_cpu_user_seconds_total']! > first['eventrouter_process_cpu_user_seconds_total']!);
    // Seconds, not microseconds.
    assert.ok(second['eventrouter_process_cpu_user_seconds_total']! <= cpu.user / 1e6);
    assert.ok(
      Math.abs(second['eventrouter_process_cpu_seconds_total']! - second['eventrouter_process_cpu_user_seconds_total']! - second['eventrouter_process_cpu_system_seconds_total']!) < 1e-6,
    );
    assert.ok(second['eventrouter_process_resident_memory_bytes']! > second['eventrouter_nodejs_heap_size_used_bytes']!);
    assert.ok(second['eventrouter_nodejs_heap_size_total_bytes']! >= second['eventrouter_nodejs_heap_size_used_bytes']!);
    const start = second['eventrouter_process_start_time_seconds']!;
    assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - process.uptime() - 5, String(start));
    assert.ok(second['eventrouter_nodejs_eventloop_lag_seconds']! >= 0);
  });

  it('counts the open file descriptors: five more files open, at least five more', { skip: process.platform !== 'linux' }, async () => {
    const { meter, collect } = testMeter();
    registerProcessMetrics(meter);
    const before = (await read(collect))['eventrouter_process_open_fds']!;
    const fds = Array.from({ length: 5 }, () => openSync('/dev/null', 'r'));
    try {
      const during = (await read(collect))['eventrouter_process_open_fds']!;
      assert.ok(during - before >= 5, `${before} → ${during}`);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });
});
