import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionFromImage } from '../../src/enrich/image-version.ts';

const DIGEST = 'sha256:232a180dbcbcfa7250917507f3827d88a9ae89bb1cdd8fe3ac4db7b764ebb25a';

describe('versionFromImage (the cases of k8sattributes Test_parseServiceVersionFromImage, and more)', () => {
  it('takes tag@digest, else the digest, else the tag', () => {
    assert.equal(versionFromImage('img:1'), '1');
    assert.equal(versionFromImage(`img:1@${DIGEST}`), `1@${DIGEST}`);
    assert.equal(versionFromImage(`img@${DIGEST}`), DIGEST);
    assert.equal(versionFromImage('img:latest'), 'latest');
    assert.equal(versionFromImage('registry.example:5000/team/payments:2.0.1'), '2.0.1');
    assert.equal(versionFromImage('ghcr.io/open-telemetry/telemetrygen:v0.112.0'), 'v0.112.0');
  });

  it('gives nothing for an image without tag or digest, a registry port alone, or a malformed reference', () => {
    for (const image of ['img', 'registry.io/img', 'registry.io:8080/img', '', undefined, 'Upper:1', 'img:', 'img:bad tag', 'img@sha256:short', 'img:1:2']) {
      assert.equal(versionFromImage(image), undefined, String(image));
    }
  });
});
