import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { SINK_KINDS, type SinkFactory, type SinkKind } from '../../src/sinks/sink-kinds.ts';
import { sinkCommonShape } from '../../src/sinks/config.ts';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { podEvent } from '../support/harness.ts';
import { OtlpReceiver } from '../support/otlp-receiver.ts';
import { TEST_SCOPE } from '../support/sinks.ts';

const kinds = Object.keys(SINK_KINDS) as SinkKind[];

describe('sink kind registry', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  after(async () => receiver.stop());

  it('registers each kind by the name of its folder, which holds its config.ts and factory.ts', () => {
    assert.deepEqual(kinds, ['otlp', 'stdout']);
    for (const kind of kinds) {
      for (const file of ['config.ts', 'factory.ts']) assert.ok(existsSync(new URL(`../../src/sinks/${kind}/${file}`, import.meta.url)), `src/sinks/${kind}/${file}`);
    }
  });

  /** The smallest entry of each kind that reaches a real receiver: the OTLP receiver on port 0, a stream for stdout. */
  const minimal = (kind: SinkKind): Record<string, unknown> => (kind === 'otlp' ? { endpoint: receiver.url } : {});

  for (const kind of kinds) {
    it(`${kind}: its config parses a minimal entry, and its factory builds from it a sink that exports a record`, async () => {
      const { config } = await SINK_KINDS[kind].config();
      // Each kind's factory takes its own entry type; the registry ties them by `type` only.
      const { factory } = (await SINK_KINDS[kind].factory()) as { factory: SinkFactory<unknown> };
      const entry = z.object({ ...sinkCommonShape, type: z.literal(kind), ...config.shape }).strict().parse({ name: `a-${kind}`, type: kind, ...minimal(kind) });
      const out = new PassThrough();
      let written = '';
      out.on('data', (chunk: Buffer) => (written += chunk.toString()));
      const sink = factory(entry, { scope: TEST_SCOPE, env: {}, key: 'sinks[0]', firstOfKind: true, stdout: out });
      assert.equal(sink.name, `a-${kind}`);
      const before = receiver.logs.length;
      await sink.start();
      assert.deepEqual(await sink.export([mapEvent(normalizeEvent(podEvent()), 'ADDED')]), { ok: true });
      await sink.shutdown();
      const delivered = kind === 'otlp' ? receiver.logs.length - before : written.trim().split('\n').filter(Boolean).length;
      assert.equal(delivered, 1);
    });
  }
});
