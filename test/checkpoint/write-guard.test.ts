import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { App } from '../../src/app/app.ts';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store.ts';
import { WriteGuard } from '../../src/checkpoint/write-guard.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { InMemorySink } from '../../src/sinks/memory/in-memory-sink.ts';
import { FakeApiServer } from '../../src/sim/fake-api-server.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { podEvent, testConfig } from '../support/harness.ts';
import { waitFor } from '../support/otlp-receiver.ts';
import { byLabel, samples } from '../support/metric-samples.ts';

interface LogLine {
  level: number;
  msg: string;
  err?: string;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const ERROR = 50;

async function gauge(metrics: Metrics, name: string): Promise<number | undefined> {
  return (await samples(metrics, name))[0]?.value;
}

describe('checkpoint write guard', () => {
  it('holds writes back for a jittered, growing, capped backoff after each failure', () => {
    let now = 0;
    const { logger } = capturingLogger();
    const guard = new WriteGuard({ minBackoffMs: 100, maxBackoffMs: 400, logger, now: () => now });
    assert.equal(guard.due, true);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      guard.failed(new Error('EROFS: read-only file system'));
      assert.equal(guard.due, false, 'no write right after a failure');
      const start = now;
      while (!guard.due) now += 1;
      waits.push(now - start);
    }
    assert.ok(waits.every((w) => w >= 100 && w <= 400), `every wait within [min, max]: ${waits.join(',')}`);
    guard.succeeded();
    guard.failed(new Error('again'));
    const start = now;
    while (!guard.due) now += 1;
    assert.ok(now - start <= 100, 'a success resets the backoff to its minimum');
  });

  it('logs each distinct error once at error level, repeats at debug, and a recovery once', () => {
    const { logger, lines } = capturingLogger();
    const guard = new WriteGuard({ minBackoffMs: 1, maxBackoffMs: 1, logger });
    for (let i = 0; i < 20; i++) guard.failed(new Error('EROFS: read-only file system'));
    guard.failed(new Error('ENOSPC: no space left on device'));
    guard.failed(new Error('EROFS: read-only file system'));
    const errors = lines.filter((l) => l.level === ERROR);
    assert.deepEqual(errors.map((l) => l.err), ['EROFS: read-only file system', 'ENOSPC: no space left on device']);
    assert.equal(lines.filter((l) => l.level === 20).length, 20, 'the repeats go to debug');
    guard.succeeded();
    guard.succeeded();
    assert.equal(lines.filter((l) => /written again/.test(l.msg)).length, 1);
    guard.failed(new Error('EROFS: read-only file system'));
    assert.equal(lines.filter((l) => l.level === ERROR).length, 3, 'a new run of failures is logged again');
  });

  it('reports its state for /readyz and as metrics', async () => {
    const metrics = new Metrics();
    const { logger } = capturingLogger();
    const guard = new WriteGuard({ logger, metrics });
    assert.deepEqual(guard.status, { ok: true, phase: 'writing' });
    assert.equal(await gauge(metrics, 'eventrouter_checkpoint_healthy'), 1);
    guard.failed(new Error('forbidden'));
    guard.failed(new Error('forbidden'));
    assert.equal(guard.status.ok, false);
    assert.equal(guard.status.error, 'forbidden');
    assert.equal(guard.status.failures, 2);
    assert.equal(await gauge(metrics, 'eventrouter_checkpoint_healthy'), 0);
    guard.expedite();
    assert.equal(guard.due, true, 'the last write of a shutdown is not held back');
    guard.succeeded();
    assert.deepEqual(guard.status, { ok: true, phase: 'writing' });
    assert.equal(await gauge(metrics, 'eventrouter_checkpoint_healthy'), 1);
    assert.deepEqual(await byLabel(metrics, 'eventrouter_checkpoint_writes_total', 'outcome'), { error: 2, ok: 1, timeout: 0 });
  });
});

/** A store whose writes fail until `heal()`; counts the attempts. */
class UnwritableStore implements CheckpointStore {
  readonly kind = 'unwritable';
  attempts = 0;
  saved: Checkpoint | undefined;
  #broken = true;
  heal(): void {
    this.#broken = false;
  }
  async load(): Promise<Checkpoint | undefined> {
    return undefined;
  }
  async save(checkpoint: Checkpoint): Promise<void> {
    this.attempts += 1;
    if (this.#broken) throw new Error('EROFS: read-only file system, open \'/var/lib/eventrouter/checkpoint.json.1.tmp\'');
    this.saved = checkpoint;
  }
}

describe('router with an unwritable checkpoint', () => {
  it('backs off, logs the error once, makes /readyz not ready (not liveness), and recovers', async () => {
    const api = new FakeApiServer();
    await api.start();
    const store = new UnwritableStore();
    const { logger, lines } = capturingLogger();
    const sink = new InMemorySink();
    const app = new App({
      // Every acknowledgement and every 50 ms would try to write.
      config: testConfig({ checkpoint: { store: 'none', interval: '0s' } }),
      client: KubeClient.fromServer(api.url),
      logger,
      sinks: [sink],
      checkpointStore: store,
      env: {},
    });
    try {
      await app.start();
      for (let i = 0; i < 5; i++) api.create('/api/v1/events', podEvent());
      await waitFor(() => app.router.synced && sink.records.length === 5, 'the events');
      // Keep the cursor moving so that writes keep being wanted.
      let created = 0;
      while (store.attempts < 4) {
        api.create('/api/v1/events', podEvent());
        created += 1;
        await waitFor(() => sink.records.length === 5 + created, 'the new event');
      }
      const errorLines = lines.filter((l) => l.level === ERROR && /checkpoint/.test(l.msg));
      assert.equal(errorLines.length, 1, `one error log for ${store.attempts} failed writes`);
      const health = app.health();
      assert.equal(health.alive, true);
      assert.equal(health.ready, false, 'a checkpoint that cannot be written is this pod\'s problem: not ready');
      const checkpoint = health.details['checkpoint'] as { ok: boolean; error: string };
      assert.equal(checkpoint.ok, false);
      assert.match(checkpoint.error, /EROFS/);
      assert.equal(await gauge(app.metrics, 'eventrouter_checkpoint_healthy'), 0);
      store.heal();
      await waitFor(() => store.saved?.scopes[''] === api.resourceVersion, 'a write once the store works again');
      assert.equal((app.health().details['checkpoint'] as { ok: boolean }).ok, true);
      assert.equal(app.health().ready, true);
      assert.equal(await gauge(app.metrics, 'eventrouter_checkpoint_healthy'), 1);
    } finally {
      await app.stop(1000);
      await api.stop();
    }
  });
});
