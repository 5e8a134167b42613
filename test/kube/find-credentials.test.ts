import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NoCredentialsError, findCredentials } from '../../src/kube/find-credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'eventrouter-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A fresh folder; with `files`, each written (empty) under it. */
function folder(...files: string[]): string {
  const path = join(dir, String(++n));
  mkdirSync(path, { recursive: true });
  for (const file of files) {
    mkdirSync(join(path, file, '..'), { recursive: true });
    writeFileSync(join(path, file), '');
  }
  return path;
}

describe('finding cluster credentials', () => {
  it('takes every file KUBECONFIG lists, before ~/.kube/config', () => {
    const home = folder('.kube/config');
    const here = folder('a', 'b');
    const files = [join(here, 'a'), join(here, 'b')];
    assert.deepEqual(findCredentials({ KUBECONFIG: files.join(delimiter), HOME: home }), { kind: 'kubeconfig', files });
    assert.deepEqual(findCredentials({ KUBECONFIG: `${delimiter}${files[0]}${delimiter}`, HOME: home }), { kind: 'kubeconfig', files: [files[0]] }, 'empty entries skipped');
  });

  it('refuses a KUBECONFIG that names a file that does not exist, naming it (no fallback behind its back)', () => {
    const here = folder('a');
    const missing = join(here, 'missing');
    assert.throws(
      () => findCredentials({ KUBECONFIG: [join(here, 'a'), missing].join(delimiter), HOME: folder('.kube/config') }),
      (error: Error) => error instanceof NoCredentialsError && error.name === 'NoCredentialsError' && error.message === `KUBECONFIG names ${missing}, which does not exist`,
    );
  });

  it('refuses a KUBECONFIG that lists no file at all (only separators), saying so', () => {
    assert.throws(
      () => findCredentials({ KUBECONFIG: `${delimiter}${delimiter}`, HOME: folder('.kube/config') }),
      (error: Error) => error instanceof NoCredentialsError && error.message === `KUBECONFIG is set ("${delimiter}${delimiter}") but names no file; unset it or list kubeconfig files separated by "${delimiter}"`,
    );
  });

  it('takes ~/.kube/config (HOME of the environment given, or the home option) when KUBECONFIG is unset or empty', () => {
    const home = folder('.kube/config');
    assert.deepEqual(findCredentials({ HOME: home }), { kind: 'kubeconfig', files: [join(home, '.kube', 'config')] });
    assert.deepEqual(findCredentials({ KUBECONFIG: '', HOME: home }), { kind: 'kubeconfig', files: [join(home, '.kube', 'config')] });
    assert.deepEqual(findCredentials({ HOME: folder() }, { home }), { kind: 'kubeconfig', files: [join(home, '.kube', 'config')] });
  });

  it('takes the service account in a pod: its token mounted and KUBERNETES_SERVICE_HOST set', () => {
    const token = join(folder('token'), 'token');
    assert.deepEqual(findCredentials({ HOME: folder(), KUBERNETES_SERVICE_HOST: '10.96.0.1' }, { serviceAccountToken: token }), { kind: 'in-cluster' });
  });

  it('says every place it looked when there is nothing, and why the service account did not count', () => {
    const home = folder();
    const token = join(folder('token'), 'token');
    const absent = join(home, 'no-token');
    const looked = (env: NodeJS.ProcessEnv, tokenPath: string): string => {
      try {
        findCredentials(env, { serviceAccountToken: tokenPath });
      } catch (error) {
        assert.ok(error instanceof NoCredentialsError);
        return error.message;
      }
      assert.fail('credentials found where there are none');
    };
    const none = looked({ HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1' }, absent);
    assert.match(none, /^no Kubernetes cluster credentials found; looked for/);
    assert.ok(none.includes(`(${absent}: not mounted)`), none);
    assert.ok(none.includes('$KUBECONFIG (not set)'), none);
    assert.ok(none.includes(`${join(home, '.kube', 'config')} (does not exist)`), none);
    assert.match(none, /point KUBECONFIG at a kubeconfig file$/);
    for (const host of [undefined, '']) {
      const outside = looked({ HOME: home, ...(host === undefined ? {} : { KUBERNETES_SERVICE_HOST: host }) }, token);
      assert.ok(outside.includes(`(${token} is there but KUBERNETES_SERVICE_HOST is not set)`), outside);
    }
  });
});
