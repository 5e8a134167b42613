import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { diag } from '@opentelemetry/api';
import { mapEvent } from '../../src/model/map-event.ts';
import { normalizeEvent } from '../../src/model/normalize.ts';
import { logOtelDiagnostics } from '../../src/telemetry/otel-diagnostics.ts';
import { capturingLogger } from '../support/capturing-logger.ts';
import { podEvent } from '../support/harness.ts';
import { otlpSink } from '../support/sinks.ts';

describe('OpenTelemetry SDK diagnostics', () => {
  after(() => diag.disable());

  it('logs a receiver\'s partial success: the records it rejected are named in the router\'s log, not dropped in silence', async () => {
    // An OTLP/HTTP receiver that takes the request (200) but rejects 2 of its 3 log records.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'body too large' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { logger, entries } = capturingLogger();
    logOtelDiagnostics(logger);
    const sink = otlpSink({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: 'http/json' });
    try {
      await sink.start();
      const outcome = await sink.export(Array.from({ length: 3 }, () => mapEvent(normalizeEvent(podEvent()), 'ADDED')));
      assert.equal(outcome.ok, true, 'the request itself succeeded: retrying it is forbidden');
      const warning = entries.find((e) => e['level'] === 40 && e['component'] === 'opentelemetry');
      assert.ok(warning, JSON.stringify(entries));
      assert.match(String(warning['msg']), /Partial Success.*"rejectedLogRecords":"?2"?.*body too large/);
    } finally {
      await sink.shutdown();
      server.close();
    }
  });
});
