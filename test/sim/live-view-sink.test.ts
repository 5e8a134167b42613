import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { ExportError } from '../../src/sinks/export-error.ts';
import { LiveViewSink } from '../../src/sim/live-view-sink.ts';
import { podEvent } from '../support/harness.ts';

/** A stream that keeps what is written, or refuses every write with `error`. */
function output(error?: Error) {
  const chunks: string[] = [];
  const out = new Writable({ write: (chunk: Buffer, _enc, callback) => (error ? callback(error) : (chunks.push(chunk.toString()), callback())) });
  out.on('error', () => undefined);
  return { out, text: () => chunks.join('') };
}

const record = (overrides: Record<string, unknown> = {}, namespace = 'default') => mapEvent(normalizeEvent(podEvent(overrides, namespace)), 'ADDED');
const ESC = '\u001b[';

describe('live view sink', () => {
  it('writes one line per record: time, type, namespace/kind/name, reason, count and message, then the indexed resource attributes', async () => {
    const { out, text } = output();
    const sink = new LiveViewSink(out, false);
    const outcome = await sink.export([
      record({ reason: 'BackOff', type: 'Warning', count: 4, message: 'Back-off restarting failed container', lastTimestamp: '2024-01-01T10:11:12Z', involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u1' } }, 'shop'),
      record({ reason: 'Pulled', message: 'pulled', lastTimestamp: '2024-01-01T10:11:13Z', involvedObject: { kind: 'Pod', name: 'web-2', namespace: 'shop', uid: 'u2' } }, 'shop'),
    ]);
    assert.deepEqual(outcome, { ok: true });
    const lines = text().split('\n');
    assert.match(lines[0]!, /^10:11:12 WARN {2}shop\/Pod\/web-1 BackOff x4: Back-off restarting failed container$/);
    assert.match(lines[1]!, /^ {9}.*k8s\.pod\.name=web-1/);
    assert.match(lines[2]!, /^10:11:13 INFO {2}shop\/Pod\/web-2 Pulled: pulled$/);
    assert.equal(sink.count, 2);
  });

  it('cuts a long message to 140 characters and marks a cluster-scoped object with "-"', async () => {
    const { out, text } = output();
    await new LiveViewSink(out, false).export([record({ message: 'm'.repeat(500), involvedObject: { kind: 'Node', name: 'node-1', uid: 'n' } }, '')]);
    const first = text().split('\n')[0]!;
    assert.ok(first.endsWith(`: ${'m'.repeat(140)}`), first);
    assert.match(first, / -\/Node\/node-1 /);
  });

  it('colours only when asked, by default when the output is a terminal', async () => {
    const plain = output();
    await new LiveViewSink(plain.out).export([record()]);
    assert.equal(plain.text().includes(ESC), false);
    const tty = output();
    Object.assign(tty.out, { isTTY: true });
    await new LiveViewSink(tty.out).export([record({ type: 'Warning' })]);
    assert.ok(tty.text().includes(`${ESC}33mWARN `), tty.text());
  });

  it('reports a refused write as a retryable export failure, without throwing', async () => {
    const { out } = output(new Error('EPIPE'));
    const outcome = await new LiveViewSink(out, false).export([record()]);
    assert.equal(outcome.ok, false);
    const error = (outcome as { error: ExportError }).error;
    assert.ok(error instanceof ExportError);
    assert.equal(error.code, 'E_EXPORT_WRITE');
    assert.equal(error.retryable, true);
    assert.match(error.message, /EPIPE/);
  });

  it('has the sink lifecycle: start and shutdown resolve, an empty batch writes nothing', async () => {
    const { out, text } = output();
    const sink = new LiveViewSink(out, false);
    await sink.start();
    assert.deepEqual(await sink.export([]), { ok: true });
    await sink.shutdown();
    await sink.shutdown();
    assert.equal(text(), '');
    assert.equal(sink.count, 0);
  });
});
