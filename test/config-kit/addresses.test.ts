import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LISTEN_HINT, otlpEndpointProblem, parseListen } from '../../src/config-kit/addresses.ts';

describe('listen addresses', () => {
  it('reads host:port, an empty host (all interfaces) and a bracketed IPv6 host', () => {
    assert.deepEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListen('localhost:9090'), { host: 'localhost', port: 9090 });
    assert.deepEqual(parseListen(':8080'), { host: '', port: 8080 });
    assert.deepEqual(parseListen('[::]:8080'), { host: '::', port: 8080 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen('[::ffff:127.0.0.1]:80'), { host: '::ffff:127.0.0.1', port: 80 });
  });

  it('takes ports from 0 to 65535 and no further', () => {
    assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListen('127.0.0.1:65535'), { host: '127.0.0.1', port: 65_535 });
    assert.equal(parseListen('127.0.0.1:65536'), undefined);
    assert.equal(parseListen('127.0.0.1:999999'), undefined);
  });

  it('refuses what is not host:port', () => {
    for (const text of ['', '8080', 'localhost', 'host:', 'host:-1', 'host:80x', '::1:8080', '[::1]8080', '[::1]', 'a:b:8080', 'http://0.0.0.0:8080', '[zz]:80']) {
      assert.equal(parseListen(text), undefined, JSON.stringify(text));
    }
  });

  it('says in its hint what it takes, with examples', () => {
    assert.match(LISTEN_HINT, /host:port/);
    for (const example of ['0.0.0.0:8080', '[::]:8080', ':8080']) {
      assert.ok(parseListen(example) !== undefined && LISTEN_HINT.includes(example), example);
    }
  });
});

describe('OTLP endpoints', () => {
  it('takes http:// and https:// URLs for every protocol', () => {
    for (const protocol of ['http/protobuf', 'http/json', 'grpc']) {
      assert.equal(otlpEndpointProblem('http://collector:4318', protocol), undefined, protocol);
      assert.equal(otlpEndpointProblem('https://collector.example.com/otlp/v1/logs', protocol), undefined, protocol);
      assert.equal(otlpEndpointProblem('http://[::1]:4317', protocol), undefined, protocol);
    }
  });

  it('takes a bare host:port for grpc only (the exporter reads it as TLS); http posts to a URL', () => {
    assert.equal(otlpEndpointProblem('collector:4317', 'grpc'), undefined);
    assert.equal(otlpEndpointProblem('collector:4318', 'http/protobuf'), '"collector:4318" has no scheme: write it as a URL (e.g. http://collector:4318 or https://collector:4318)');
  });

  it('refuses a bare host:port whose port is above 65535, naming the endpoint', () => {
    assert.equal(otlpEndpointProblem('collector:65535', 'grpc'), undefined);
    assert.match(otlpEndpointProblem('collector:65536', 'grpc') ?? '', /^"collector:65536": the port must be from 0 to 65535/);
    assert.match(otlpEndpointProblem('collector:99999', 'grpc') ?? '', /port must be from 0 to 65535/);
  });

  it('names the endpoint and gives an example for the protocol when it is not a URL', () => {
    assert.equal(otlpEndpointProblem('collector', 'http/protobuf'), '"collector" is not a URL (e.g. http://collector:4318)');
    assert.equal(otlpEndpointProblem('collector', 'grpc'), '"collector" is not a URL or host:port (e.g. http://collector:4317)');
    assert.match(otlpEndpointProblem('http://collector:70000', 'http/json') ?? '', /is not a URL/);
  });

  it('refuses a scheme the exporter does not speak, with both grpc forms as examples', () => {
    assert.equal(
      otlpEndpointProblem('ftp://collector:4318', 'http/protobuf'),
      '"ftp://collector:4318" must be an http:// or https:// URL (e.g. http://collector:4318); "ftp:" is not a protocol the exporter speaks',
    );
    assert.match(otlpEndpointProblem('grpc://collector:4317', 'grpc') ?? '', /\(e\.g\. http:\/\/collector:4317 or collector:4317\); "grpc:" is not/);
    assert.match(otlpEndpointProblem('unix:///run/otel.sock', 'grpc') ?? '', /"unix:" is not a protocol/);
  });
});
