import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLoopMonitor } from '../../src/server/event-loop-monitor.ts';

/** Keeps the event loop busy for `ms` (a synchronous stage that takes too long). */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('EventLoopMonitor', () => {
  it('stays responsive through one long stall that ends (a GC pause is not a hang)', async () => {
    const monitor = new EventLoopMonitor({ intervalMs: 10, maxLagMs: 50, stallAfterMs: 400 });
    await monitor.start();
    try {
      busy(250);
      assert.equal(monitor.responsive, true, 'a 250 ms stall is below the 400 ms bound');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(monitor.stalledMs, 0, 'heartbeats on time again');
    } finally {
      await monitor.shutdown();
    }
  });

  it('turns unresponsive when no heartbeat runs on time for stallAfterMs, though the loop still turns now and then', async () => {
    const monitor = new EventLoopMonitor({ intervalMs: 10, maxLagMs: 50, stallAfterMs: 400 });
    await monitor.start();
    try {
      let starved = false;
      for (let i = 0; i < 40 && !starved; i++) {
        busy(120);
        await breathe();
        starved = !monitor.responsive;
      }
      assert.equal(starved, true);
      assert.ok(monitor.stalledMs >= 400);
      assert.ok(monitor.lastLagMs > 50, `last heartbeat ${monitor.lastLagMs} ms late`);
      const deadline = Date.now() + 10_000;
      while (!monitor.responsive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(monitor.responsive, true, 'responsive again once the loop runs freely');
    } finally {
      await monitor.shutdown();
    }
  });

  it('reports nothing before it is started', () => {
    const monitor = new EventLoopMonitor({ intervalMs: 10, maxLagMs: 10, stallAfterMs: 10 });
    busy(50);
    assert.equal(monitor.stalledMs, 0);
    assert.equal(monitor.responsive, true);
  });
});
