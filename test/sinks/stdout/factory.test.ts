import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { factory } from '../../../src/sinks/stdout/factory.ts';
import type { StdoutSinkConfig } from '../../../src/sinks/stdout/config.ts';
import { sinkSchema } from '../../../src/config/schema.ts';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { podEvent } from '../../support/harness.ts';
import { TEST_SCOPE } from '../../support/sinks.ts';

const record = () => mapEvent(normalizeEvent(podEvent()), 'ADDED');
const entry = (fields: Record<string, unknown>) => sinkSchema.parse({ name: 'out', type: 'stdout', ...fields }) as StdoutSinkConfig;
const context = (stdout?: PassThrough) => ({ scope: TEST_SCOPE, env: {}, key: 'sinks[0]', firstOfKind: true, ...(stdout ? { stdout } : {}) });

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => text.trim().split('\n').filter((line) => line !== '') };
}

describe('stdout sink factory', () => {
  it('builds a sink named as its entry that writes one JSON line per record to the context\'s stream', async () => {
    const out = capture();
    const sink = factory(entry({}), context(out.stream));
    assert.equal(sink.name, 'out');
    await sink.start();
    const one = record();
    assert.deepEqual(await sink.export([one]), { ok: true });
    const [line] = out.lines();
    assert.equal(out.lines().length, 1);
    assert.equal((JSON.parse(line ?? '') as { body: unknown }).body, one.body);
    await sink.shutdown();
  });

  it('passes the entry\'s format on: classic writes the heptio eventrouter line', async () => {
    const out = capture();
    const sink = factory(entry({ format: 'classic' }), context(out.stream));
    await sink.start();
    await sink.export([record()]);
    const line = JSON.parse(out.lines()[0] ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(line).sort(), ['event', 'verb']);
    assert.equal(line['verb'], 'ADDED');
    await sink.shutdown();
  });

  it('writes to process.stdout when the context gives no stream', async (t) => {
    const written: string[] = [];
    t.mock.method(process.stdout, 'write', (chunk: string, callback?: (error?: Error | null) => void) => {
      written.push(chunk);
      callback?.(null);
      return true;
    });
    const sink = factory(entry({ name: 'default-stream' }), context());
    await sink.start();
    assert.deepEqual(await sink.export([record()]), { ok: true });
    t.mock.restoreAll();
    assert.equal(written.length, 1);
    assert.match(written[0] ?? '', /^\{.*\}\n$/);
  });
});
