/**
 * The image, run as a pod runs it, without a Docker engine or a registry: the image's
 * filesystem assembled from what the Dockerfile puts there (the production bundle `dist/` of
 * `npm run build`, a Node 24 binary at /nodejs/bin/node, and the Debian 12 libraries the
 * distroless base provides, taken from this Debian 12 machine), run by a real OCI runtime (runc
 * or crun) with the Dockerfile's final-stage ENTRYPOINT, ENV, USER and WORKDIR (read from the
 * Dockerfile, so the test follows it), the Deployment's `args: [run]`, a read-only root
 * filesystem, no capabilities, no new privileges and a 128 MiB memory limit. As in a pod: the
 * ServiceAccount token, CA and namespace at /var/run/secrets/kubernetes.io/serviceaccount, the
 * API server named by KUBERNETES_SERVICE_HOST/PORT (in-cluster config), the config at
 * /etc/eventrouter, the checkpoint volume at /var/lib/eventrouter, an emptyDir at /tmp.
 *
 * Against the real kube-apiserver and Collector: every event exported over http/protobuf, then
 * over gRPC; SIGTERM to PID 1 writes the checkpoint and exits 0.
 *
 * Shares the host's network namespace (loopback peers); the rest is the runtime's defaults.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findBinary } from '../deploy/manifests.ts';
import { freePort } from './peer-process.ts';
import {
  collected,
  createSimpleEvents,
  delivery,
  e2eEnv,
  execResult,
  execText,
  kubeOk,
  REPO,
  runId,
  scratchDir,
  waitFor,
} from './support.ts';

/** The final stage of the Dockerfile: what the image runs. */
interface ImageSpec {
  entrypoint: string[];
  env: Record<string, string>;
  user: { uid: number; gid: number };
  workdir: string;
  volumes: string[];
}

/** Reads the final stage (after the last FROM) of the Dockerfile: ENTRYPOINT (exec form), ENV, USER, WORKDIR, VOLUME. */
function imageSpec(dockerfile: string): ImageSpec {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const last = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const spec: ImageSpec = { entrypoint: [], env: {}, user: { uid: 0, gid: 0 }, workdir: '/', volumes: [] };
  for (const line of lines.slice(last + 1)) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    switch (instruction.toUpperCase()) {
      case 'ENTRYPOINT':
        spec.entrypoint = JSON.parse(value) as string[];
        break;
      case 'ENV':
        for (const m of value.matchAll(/(\w+)=("[^"]*"|\S+)/g)) spec.env[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
        break;
      case 'USER': {
        const [uid = '0', gid = uid] = value.split(':');
        spec.user = { uid: Number(uid), gid: Number(gid) };
        break;
      }
      case 'WORKDIR':
        spec.workdir = value;
        break;
      case 'VOLUME':
        spec.volumes.push(...(JSON.parse(value) as string[]));
        break;
    }
  }
  return spec;
}

/** runc or crun; crun refuses hybrid cgroup v1/v2 hosts, so runc is tried first. */
function ociRuntime(): string {
  const runtime = findBinary('runc') ?? findBinary('crun');
  if (runtime === undefined) throw new Error('no OCI runtime: install runc or crun (Debian: apt-get install runc)');
  return runtime;
}

/** Copies `file` (following links) to the same path under `root`. */
function copyInto(root: string, file: string): void {
  const target = join(root, file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(file), target);
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MEMORY_LIMIT = 128 * 1024 * 1024;

/** runc/crun need root for the container's cgroup and mounts (a rootless runtime is another setup). */
const NOT_ROOT = process.getuid?.() !== 0 ? 'needs root: runc creates the container cgroup (128 MiB limit) and its mounts' : false;
const NO_RUNTIME = findBinary('runc') === undefined && findBinary('crun') === undefined ? 'no OCI runtime: install runc or crun (Debian: apt-get install runc; .ci/run does)' : false;

describe('the image run as a pod runs it (real OCI runtime, real kube-apiserver and Collector)', { skip: NOT_ROOT || NO_RUNTIME }, () => {
  const run = runId('e2e-oci');
  const dir = scratchDir(run);
  const rootfs = join(dir, 'rootfs');
  const image = imageSpec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  const podNamespace = 'eventrouter';
  const eventsNs = run;
  let runtime = '';

  before(async () => {
    const env = e2eEnv();
    runtime = ociRuntime();
    assert.deepEqual(image.user, { uid: 65532, gid: 65532 });
    // The image's filesystem: the production bundle, node where the base image has it, its libraries.
    mkdirSync(rootfs, { recursive: true });
    const build = await execResult(process.execPath, [join(REPO, 'scripts', 'build.ts'), '--outdir', join(rootfs, 'app', 'dist')], 180_000);
    assert.equal(build.code, 0, build.stderr);
    const node = image.entrypoint[0] ?? '';
    assert.equal(node, '/nodejs/bin/node', 'the distroless base keeps node at /nodejs/bin/node');
    mkdirSync(join(rootfs, dirname(node)), { recursive: true });
    copyFileSync(realpathSync(process.execPath), join(rootfs, node));
    chmodSync(join(rootfs, node), 0o755);
    for (const lib of (await execText('ldd', [process.execPath])).matchAll(/(\/\S+)/g)) copyInto(rootfs, lib[1] ?? '');
    for (const path of ['proc', 'dev', 'tmp', 'etc', 'etc/eventrouter', 'var/lib/eventrouter', SA_DIR.slice(1)]) mkdirSync(join(rootfs, path), { recursive: true });
    // distroless's passwd/group: root and nonroot (65532).
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
    // The pod's ServiceAccount: the chart's/kustomize base's RBAC, a token from the TokenRequest API.
    const apply = await execResult(env.EVENTROUTER_E2E_KUBECTL, ['apply', ...['namespace.yaml', 'serviceaccount.yaml', 'clusterrole.yaml', 'clusterrolebinding.yaml', 'role.yaml', 'rolebinding.yaml'].flatMap((f) => ['-f', join(REPO, 'deploy', f)])]);
    assert.equal(apply.code, 0, apply.stderr);
    await kubeOk('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: eventsNs } });
    const token = (await kubeOk('POST', `/api/v1/namespaces/${podNamespace}/serviceaccounts/eventrouter/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } })).status.token as string;
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'namespace'), podNamespace);
    copyFileSync(env.EVENTROUTER_E2E_CA, join(sa, 'ca.crt'));
  });

  after(async () => {
    for (const id of started) await execResult(runtime, ['delete', '--force', id]).catch(() => undefined);
  });
  const started: string[] = [];

  /** Runs the image once with one OTLP sink over `protocol`; posts events; SIGTERMs PID 1. */
  const runOnce = async (protocol: 'http/protobuf' | 'grpc') => {
    const env = e2eEnv();
    const id = `${run}-${protocol === 'grpc' ? 'grpc' : 'http'}`;
    const clusterName = `${id}-c`;
    const bundle = join(dir, id);
    const config = join(bundle, 'config');
    const state = join(dir, 'state'); // the checkpoint volume, kept across both runs like a PersistentVolumeClaim
    mkdirSync(config, { recursive: true });
    mkdirSync(state, { recursive: true });
    chownSync(state, image.user.uid, image.user.gid);
    const listen = `127.0.0.1:${await freePort()}`;
    writeFileSync(
      join(config, 'config.yaml'),
      JSON.stringify({
        clusterName,
        source: { namespaces: [eventsNs], minBackoff: '200ms', maxBackoff: '2s' },
        checkpoint: { store: 'file', path: '/var/lib/eventrouter/checkpoint.json' },
        leaderElection: { enabled: false },
        server: { listen },
        sinks: [{ name: 'collector', type: 'otlp', endpoint: protocol === 'grpc' ? env.EVENTROUTER_E2E_OTLP_GRPC : env.EVENTROUTER_E2E_OTLP_HTTP, protocol, batchTimeout: '200ms' }],
      }),
    );
    const apiserver = new URL(env.EVENTROUTER_E2E_APISERVER);
    const bind = (source: string, destination: string, readonly: boolean) => ({ destination, type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] });
    const spec = {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: image.user,
        // The Dockerfile's ENTRYPOINT with the Deployment's args.
        args: [...image.entrypoint, 'run'],
        env: [
          'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          ...Object.entries(image.env).map(([k, v]) => `${k}=${v}`),
          `KUBERNETES_SERVICE_HOST=${apiserver.hostname}`,
          `KUBERNETES_SERVICE_PORT=${apiserver.port}`,
          `POD_NAME=eventrouter-oci-${protocol === 'grpc' ? 'grpc' : 'http'}`,
          `POD_NAMESPACE=${podNamespace}`,
          'EVENTROUTER_CONFIG=/etc/eventrouter/config.yaml',
        ],
        cwd: image.workdir,
        capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
        noNewPrivileges: true,
      },
      root: { path: rootfs, readonly: true },
      hostname: `eventrouter-oci`,
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=16m'] },
        bind(config, '/etc/eventrouter', true),
        bind(join(dir, 'serviceaccount'), SA_DIR, true),
        bind(state, '/var/lib/eventrouter', false),
      ],
      linux: {
        // No network namespace: the peers listen on the host's loopback.
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
        cgroupsPath: `/eventrouter-e2e/${id}`,
        resources: { memory: { limit: MEMORY_LIMIT } },
        maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      },
    };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    const before = await createSimpleEvents(eventsNs, `oci-${protocol === 'grpc' ? 'grpc' : 'http'}-before`, 20);
    const child = spawn(runtime, ['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(id);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(async () => (await fetch(`http://${listen}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok).catch(() => false)) || child.exitCode !== null, 'the container to serve /readyz', 60_000, () => output.slice(-2000));
    assert.equal(child.exitCode, null, output.slice(-3000));
    const during = await createSimpleEvents(eventsNs, `oci-${protocol === 'grpc' ? 'grpc' : 'http'}-during`, 20);
    const keys = [...before, ...during].map((u) => `${u}/1`);
    await waitFor(() => delivery(collected(clusterName), keys).missing.length === 0, `every event over ${protocol}`, 60_000, () => output.slice(-2000));
    // The runtime applied the pod's limits: the memory cgroup, the user, no capabilities.
    const cgroup = `/sys/fs/cgroup/memory/eventrouter-e2e/${id}`;
    const limit = existsSync(cgroup) ? Number(readFileSync(join(cgroup, 'memory.limit_in_bytes'), 'utf8')) : undefined;
    const status = (await execText(runtime, ['exec', id, '/nodejs/bin/node', '-e', 'process.stdout.write(require("fs").readFileSync("/proc/1/status","utf8"))'])).toString();
    assert.match(status, /^Uid:\s+65532\s+65532\s+65532\s+65532$/m, 'PID 1 runs as 65532');
    assert.match(status, /^CapEff:\s+0+$/m, 'no capabilities');
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    const write = await execResult(runtime, ['exec', id, '/nodejs/bin/node', '-e', 'require("fs").writeFileSync("/app/x", "x")']);
    assert.match(write.stderr, /EROFS/, 'the root filesystem is read-only');
    const peak = existsSync(cgroup) ? Number(readFileSync(join(cgroup, 'memory.max_usage_in_bytes'), 'utf8')) : undefined;
    // SIGTERM to PID 1: the router flushes, writes the checkpoint and exits 0.
    const kill = await execResult(runtime, ['kill', id, 'TERM']);
    assert.equal(kill.code, 0, kill.stderr);
    const code = await exited;
    assert.equal(code, 0, `the container's exit code:\n${output.slice(-3000)}`);
    const checkpoint = JSON.parse(readFileSync(join(state, 'checkpoint.json'), 'utf8')) as { scopes: Record<string, string> };
    assert.ok(Number(checkpoint.scopes[eventsNs]) > 0, JSON.stringify(checkpoint));
    const d = delivery(collected(clusterName), keys);
    console.log(`# ${runtime.split('/').pop()} ${protocol}: ${keys.length} events, missing ${d.missing.length}, duplicates ${d.duplicates}; memory limit ${limit} B, peak ${peak} B; exit ${code}; checkpoint ${JSON.stringify(checkpoint.scopes)}`);
    assert.equal(limit, MEMORY_LIMIT, 'the 128 MiB limit is on the container');
    assert.deepEqual(d.missing, []);
    assert.equal(d.duplicates, 0);
    // The second run resumes from the first one's checkpoint on the volume: nothing re-sent.
    assert.deepEqual(d.unexpected, []);
  };

  it('exports over http/protobuf as uid 65532 on a read-only root with no capabilities in 128 MiB; SIGTERM writes the checkpoint and exits 0', async () => {
    await runOnce('http/protobuf');
  });

  it('exports over gRPC the same way', async () => {
    await runOnce('grpc');
  });

});
