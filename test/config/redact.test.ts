import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactConfig } from '../../src/config/redact.ts';

describe('redact config', () => {
  it('replaces literal header values, at any depth under a headers mapping', () => {
    const config = { sinks: [{ name: 'o', type: 'otlp', headers: { Authorization: 'Bearer s3cret', 'x-api-key': 'k' } }] };
    assert.deepEqual(redactConfig(config), { sinks: [{ name: 'o', type: 'otlp', headers: { Authorization: '<redacted>', 'x-api-key': '<redacted>' } }] });
  });

  it('keeps {env} and {file} header references: they name where the secret is, not the secret', () => {
    const config = { sinks: [{ headers: { Authorization: { env: 'OTLP_TOKEN' }, 'x-key': { file: '/var/run/secrets/key' } } }] };
    assert.deepEqual(redactConfig(config), config);
  });

  it('replaces the userinfo of a URL and keeps the rest of it', () => {
    assert.equal(redactConfig('https://user:pass@collector:4318/v1/logs'), 'https://<redacted>@collector:4318/v1/logs');
    assert.equal(redactConfig('http://token@collector:4317'), 'http://<redacted>@collector:4317');
    assert.deepEqual(redactConfig({ selfMetrics: { otlpEndpoint: 'http://u:p@otel:4318' } }), { selfMetrics: { otlpEndpoint: 'http://<redacted>@otel:4318' } });
  });

  it('hides a password with a raw "@" whole: the URL parser takes the last "@" of the authority as the separator', () => {
    const endpoint = 'http://user:p@ss@collector:4317';
    assert.equal(new URL(endpoint).hostname, 'collector', 'what the exporter dials');
    assert.equal(redactConfig(endpoint), 'http://<redacted>@collector:4317');
    assert.equal(redactConfig('https://a@b@c@collector/v1/logs?x=@y#@z'), 'https://<redacted>@collector/v1/logs?x=@y#@z');
  });

  it('leaves a URL without userinfo, and an "@" after the host (path, query, fragment), as it is', () => {
    for (const text of ['http://collector:4318', 'https://collector/v1/logs?user=a@b', 'http://collector/#a@b', 'http://collector/team@x/v1/logs', 'ops@example.com', 'not a url']) {
      assert.equal(redactConfig(text), text);
    }
  });

  it('leaves numbers, booleans and null alone, and does not change its input', () => {
    const config = { server: { port: 8080, enabled: true, none: null }, sinks: [{ headers: { a: 'b' } }] };
    const copy = structuredClone(config);
    assert.deepEqual(redactConfig(config), { server: { port: 8080, enabled: true, none: null }, sinks: [{ headers: { a: '<redacted>' } }] });
    assert.deepEqual(config, copy);
  });
});
