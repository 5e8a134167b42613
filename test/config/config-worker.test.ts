import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../../src/config/load-config.ts';

const WORKER = new URL('../../src/config/config-worker.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'eventrouter-config-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the worker entry as load-config-isolated does, and resolves with its one message. */
function ask(path: string | undefined, env: NodeJS.ProcessEnv): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { path, env } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) without an answer`)));
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('config worker', () => {
  it('posts the validated config of the file, as loadConfig reads it with the environment given', async () => {
    const path = file('ok.yaml', 'source:\n  namespaces: [a, b]\nsinks:\n  - name: out\n    type: stdout\n');
    const env = { EVENTROUTER_CLUSTER_NAME: 'prod-eu' };
    const answer = await ask(path, env);
    assert.deepEqual(answer, { ok: true, config: loadConfig(path, env) });
    assert.equal((answer as { config: { clusterName: string } }).config.clusterName, 'prod-eu');
  });

  it('posts the defaults when there is no file', async () => {
    assert.deepEqual(await ask(undefined, {}), { ok: true, config: loadConfig(undefined, {}) });
  });

  it('posts every problem, each naming its key, and the file they are in', async () => {
    const path = file('bad.yaml', 'server:\n  listen: nowhere\nsinks:\n  - name: o\n    type: otlp\n    endpoint: collector\n');
    const answer = (await ask(path, {})) as { ok: boolean; problems: string[]; source: string };
    assert.equal(answer.ok, false);
    assert.equal(answer.source, path);
    assert.equal(answer.problems.length, 2, answer.problems.join('\n'));
    assert.ok(answer.problems.some((p) => p.startsWith('server.listen: ')), answer.problems.join('\n'));
    assert.ok(answer.problems.some((p) => p.startsWith('sinks[0].endpoint: ')), answer.problems.join('\n'));
  });

  it('checks the environment it was given, not its own process.env', async () => {
    const answer = (await ask(undefined, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })) as { ok: boolean; problems: string[] };
    assert.equal(answer.ok, false);
    assert.match(answer.problems[0] ?? '', /^OTEL_EXPORTER_OTLP_PROTOCOL: /);
  });

  it('posts a file it cannot read as a problem of the file, not a crash', async () => {
    const path = join(dir, 'missing.yaml');
    const answer = (await ask(path, {})) as { ok: boolean; problems: string[] };
    assert.equal(answer.ok, false);
    assert.match(answer.problems[0] ?? '', new RegExp(`^\\(file\\): cannot read ${path.replace(/[.]/g, '\\.')}`));
  });
});
