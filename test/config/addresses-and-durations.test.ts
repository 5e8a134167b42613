import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load-config.ts';
import { configProblems } from '../support/harness.ts';
import { printableConfig } from '../../src/config/printable-config.ts';
import { formatDuration, parseDuration } from '../../src/util/duration.ts';

const problems = configProblems;

describe('addresses and durations in the configuration', () => {
  it('server.listen: host:port with a port from 0 to 65535, or "" to disable', () => {
    for (const listen of ['0.0.0.0:8080', '127.0.0.1:0', ':9090', '[::]:8080', '[::1]:65535', 'localhost:8080', '']) {
      assert.deepEqual(problems({ server: { listen } }), [], listen);
    }
    for (const listen of ['8080', 'localhost', '0.0.0.0:65536', '0.0.0.0:-1', '[::1]8080', 'a:b:8080', 'http://0.0.0.0:8080']) {
      const [problem, ...rest] = problems({ server: { listen } });
      assert.match(problem ?? '', /^server\.listen: .*expected host:port/, listen);
      assert.deepEqual(rest, []);
    }
  });

  it('an OTLP endpoint is an http(s) URL; for grpc, as the OpenTelemetry JS exporter, also host:port', () => {
    const sink = (endpoint: string, protocol?: string) => ({ sinks: [{ name: 'o', type: 'otlp', endpoint, ...(protocol ? { protocol } : {}) }] });
    assert.deepEqual(problems(sink('http://collector:4318')), []);
    assert.deepEqual(problems(sink('https://collector/otlp/v1/logs', 'http/json')), []);
    assert.deepEqual(problems(sink('http://collector:4317', 'grpc')), []);
    assert.deepEqual(problems(sink('collector:4317', 'grpc')), []);
    assert.match(problems(sink('otel:4318'))[0] ?? '', /^sinks\[0\]\.endpoint: "otel:4318" has no scheme: write it as a URL \(e\.g\. http:\/\/otel:4318 or https:\/\/otel:4318\)/);
    assert.match(problems(sink('collector'))[0] ?? '', /^sinks\[0\]\.endpoint: "collector" is not a URL/);
    assert.match(problems(sink('collector:4318'))[0] ?? '', /^sinks\[0\]\.endpoint:/, 'host:port is grpc only');
    // The protocol may come from the environment, for the first OTLP sink only.
    assert.deepEqual(problems(sink('collector:4317'), { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), []);
    assert.match(problems({ selfMetrics: { otlpEndpoint: 'otel:4318' } })[0] ?? '', /^selfMetrics\.otlpEndpoint:/);
  });

  it('an OTLP sink\'s timeout is above zero (a request with no time to answer would fail forever, its batch never delivered)', () => {
    const sink = (timeout: string) => ({ sinks: [{ name: 'o', type: 'otlp', endpoint: 'http://collector:4318', timeout }] });
    assert.deepEqual(problems(sink('1ms')), []);
    assert.match(problems(sink('0s'))[0] ?? '', /^sinks\[0\]\.timeout: /);
    assert.match(problems(sink('0ms'))[0] ?? '', /^sinks\[0\]\.timeout: /);
  });

  it('a number where a duration belongs says to write a duration such as 10s, not "expected string, received number"', () => {
    assert.deepEqual(configProblems({ sinks: [{ name: 'o', type: 'otlp', timeout: 10 }] }), [
      'sinks[0].timeout: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 10',
    ]);
    assert.deepEqual(configProblems({ shutdownTimeout: 30 }), ['shutdownTimeout: expected a duration such as 10s (a string with a unit: ms, s, m, h), not 30']);
    assert.deepEqual(configProblems({ source: { backfill: 600 } }), ['source.backfill: expected "all" or a duration such as 10m (a string with a unit: ms, s, m, h), not 600']);
  });

  it('formats durations so that they parse back to the same value', () => {
    const cases: Array<[number, string]> = [[0, '0'], [250, '250ms'], [1500, '1s500ms'], [90_000, '1m30s'], [5_400_000, '1h30m'], [1.5, '1.5ms'], [90_061_001, '25h1m1s1ms']];
    for (const [ms, text] of cases) {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    }
  });

  it('prints the effective config with every duration as a string that parses back', () => {
    const config = parseConfig({ sinks: [{ name: 'o', type: 'stdout', throttle: { limit: 1, interval: '2m' } }], checkpoint: { interval: '3s' } }, {});
    const printed = printableConfig(config);
    assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(printed)), {}), config);
    const text = JSON.stringify(printed);
    assert.doesNotMatch(text, /"(watchTimeout|timeout|interval|shutdownTimeout|batchTimeout)":\d/, 'no duration left in milliseconds');
  });
});
