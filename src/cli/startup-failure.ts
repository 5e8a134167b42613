import { ConfigError } from '../config-kit/config-error.ts';
import { ApiError } from '../kube/kube-client.ts';
import { ListenError } from '../server/http-server.ts';

/**
 * A start-up failure as one line naming what to fix, and the exit code: 2 when the
 * configuration is wrong (a new value fixes it), 1 when the environment is (a busy port, an
 * API server that refuses).
 */
export function describeStartupFailure(error: unknown): { line: string; exitCode: 1 | 2 } {
  if (error instanceof ConfigError) return { line: error.message.replace(/\n\s*/g, ' '), exitCode: 2 };
  if (error instanceof ListenError) {
    const configProblem = error.code === undefined || error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND';
    return { line: error.message, exitCode: configProblem ? 2 : 1 };
  }
  if (error instanceof ApiError) return { line: `Kubernetes API: ${error.message}`, exitCode: 1 };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `start-up failed: ${message.split('\n')[0]}`, exitCode: 1 };
}
