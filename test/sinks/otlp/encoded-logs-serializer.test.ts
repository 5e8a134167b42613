import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapEvent } from '../../../src/model/map-event.ts';
import { normalizeEvent } from '../../../src/model/normalize.ts';
import { ENCODED_LOGS_METRICS_HELPER, encodedLogsSerializer } from '../../../src/sinks/otlp/encoded-logs-serializer.ts';
import { LogRecordEncoder } from '../../../src/sinks/otlp/log-record-encoder.ts';
import { podEvent } from '../../support/harness.ts';
import { decodeProtobufLogs, encodeEmptyLogsResponse, encodePartialSuccessResponse } from '../../support/otlp-receiver.ts';

const SCOPE = { name: 'eventrouter', version: '9.9.9' };
const pod = (name: string, reason: string) => mapEvent(normalizeEvent(podEvent({ reason, involvedObject: { kind: 'Pod', name, namespace: 'default', uid: `uid-${name}` } })), 'ADDED');

describe('encoded logs serializer', () => {
  it('makes the request of records encoded when queued: one ResourceLogs per involved object, records in queue order', () => {
    const encoder = new LogRecordEncoder(SCOPE);
    const items = [pod('a', 'One'), pod('b', 'Two'), pod('a', 'Three')].map((r) => encoder.encode(r));
    const request = encodedLogsSerializer(encoder).serializeRequest(items);
    assert.ok(request !== undefined);
    assert.deepEqual(Buffer.from(request), Buffer.from(encoder.request(items)));
    const decoded = decodeProtobufLogs(Buffer.from(request));
    assert.deepEqual(
      decoded.map((rl) => [rl.resource['k8s.pod.name'], rl.logs.map((l) => l.attributes['k8s.event.reason'])]),
      [
        ['a', ['One', 'Three']],
        ['b', ['Two']],
      ],
    );
    assert.deepEqual(decoded.flatMap((rl) => rl.logs.map((l) => l.scope)), [SCOPE, SCOPE, SCOPE]);
  });

  it("reads the receiver's protobuf answer: empty for a full success, its partial success otherwise", () => {
    const serializer = encodedLogsSerializer(new LogRecordEncoder(SCOPE));
    assert.equal(serializer.deserializeResponse(encodeEmptyLogsResponse()).partialSuccess, undefined);
    const partial = serializer.deserializeResponse(encodePartialSuccessResponse(3, 'too old')).partialSuccess;
    assert.equal(Number(String(partial?.rejectedLogRecords)), 3);
    assert.equal(partial?.errorMessage, 'too old');
  });

  it("counts one item per record for the SDK's self-observability, as its logs helper does", () => {
    const encoder = new LogRecordEncoder(SCOPE);
    assert.equal(ENCODED_LOGS_METRICS_HELPER.name, 'log');
    assert.equal(ENCODED_LOGS_METRICS_HELPER.countItems([pod('a', 'x'), pod('b', 'y')].map((r) => encoder.encode(r))), 2);
    assert.equal(ENCODED_LOGS_METRICS_HELPER.countItems([]), 0);
  });
});
