import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kernel's v1 memory controller, where a pod's memory limit is enforced. */
const ROOT = '/sys/fs/cgroup/memory';

/** Why a memory cgroup cannot be made here, or undefined when it can. */
export function memoryCgroupUnavailable(): string | undefined {
  if (!existsSync(join(ROOT, 'memory.limit_in_bytes'))) return `${ROOT} is not a v1 memory controller`;
  const probe = join(ROOT, `eventrouter-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    writeFileSync(join(probe, 'memory.limit_in_bytes'), String(64 << 20));
    return undefined;
  } catch (error) {
    return `${ROOT} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  } finally {
    try {
      rmdirSync(probe);
    } catch {}
  }
}

export interface CgroupReport {
  limitMb: number;
  /** memory.max_usage_in_bytes: the peak the kernel charged (RSS + page cache + kernel memory). */
  peakMb: number;
  /** Times the kernel OOM killer killed a process of the group. */
  oomKills: number;
  /** Times the group hit its limit (reclaim ran; not necessarily a kill). */
  failcnt: number;
}

/**
 * A memory cgroup with a limit, like a container's: a process is put in it by writing its PID
 * to `cgroup.procs` (the bench starts the router through `sh -c 'echo $$ > …; exec …'` so the
 * limit holds from the first instruction, which is also what V8 reads to size its heap).
 */
export class MemoryCgroup {
  readonly path: string;
  readonly limitMb: number;

  constructor(name: string, limitMb: number) {
    this.limitMb = limitMb;
    this.path = join(ROOT, `eventrouter-bench-${process.pid}-${name}`);
    mkdirSync(this.path, { recursive: true });
    writeFileSync(join(this.path, 'memory.limit_in_bytes'), String(limitMb * 1024 * 1024));
    // No swap here; where there is, the pod's limit covers it too.
    try {
      writeFileSync(join(this.path, 'memory.memsw.limit_in_bytes'), String(limitMb * 1024 * 1024));
    } catch {}
  }

  /** The command prefix that moves the shell into the group, then execs `argv`. */
  wrap(argv: string[]): string[] {
    const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    return ['sh', '-c', `echo $$ > '${join(this.path, 'cgroup.procs')}' && exec ${quoted}`];
  }

  report(): CgroupReport {
    const read = (file: string) => readFileSync(join(this.path, file), 'utf8');
    const oom = /oom_kill (\d+)/.exec(read('memory.oom_control'))?.[1];
    return {
      limitMb: this.limitMb,
      peakMb: Number(read('memory.max_usage_in_bytes')) / 1024 / 1024,
      oomKills: Number(oom ?? 0),
      failcnt: Number(read('memory.failcnt')),
    };
  }

  /** Removes the group (its processes must have exited). */
  remove(): void {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        // EBUSY while the last process is being reaped.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  }
}
