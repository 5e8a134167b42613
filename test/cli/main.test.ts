import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VERSION } from '../../src/app/version.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'eventrouter-main-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the entry point as the image does; `onStderr` sees stderr as it comes (with the child, to signal it). */
function main(args: string[], env: NodeJS.ProcessEnv = {}, onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env['PATH'], HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    onStderr?.(stderr, (signal) => child.kill(signal));
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('the entry point', () => {
  it('exits with the command\'s code: 0 when it succeeded', async () => {
    const exit = await main(['--version']);
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.stdout.trim(), VERSION);
  });

  it('exits with the command\'s code when it failed: 2 for an invalid configuration, naming the key', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'server:\n  listen: nowhere\n');
    const exit = await main(['config', 'check', '--config', config]);
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /server\.listen: /);
  });

  it('installs its signal handlers first: a SIGTERM while the router\'s modules load does not kill it', async () => {
    let sent = false;
    const exit = await main(['--version'], { EVENTROUTER_LOG_LEVEL: 'trace' }, (stderr, kill) => {
      if (!sent && stderr.includes('signal handlers installed')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    assert.ok(sent, `the trace line says when the handlers are in place: ${exit.stderr}`);
    const first = JSON.parse(exit.stderr.split('\n')[0] ?? '') as Record<string, unknown>;
    assert.deepEqual({ level: first['level'], name: first['name'], msg: first['msg'] }, { level: 10, name: 'eventrouter', msg: 'signal handlers installed' });
    assert.equal(exit.signal, null, 'not ended by the signal\'s default action');
    assert.equal(exit.code, 0);
    assert.equal(exit.stdout.trim(), VERSION);
  });
});
