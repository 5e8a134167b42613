/** A step of a {@link scriptedStream}: a chunk (text is UTF-8 encoded), or silence until the stream is aborted. */
export type ScriptStep = string | Uint8Array | typeof SILENCE;

/** The stream sends nothing more and stays open, as a watch behind a dead proxy does. */
export const SILENCE: unique symbol = Symbol('silence');

/**
 * A watch stream written by hand: yields the chunks in order, yielding to the event loop between
 * them as a socket would, then ends; at {@link SILENCE} it waits, open, until `signal` aborts
 * (then it ends, as a fetch body ends when its request is aborted).
 */
export async function* scriptedStream(steps: readonly ScriptStep[], signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const step of steps) {
    if (step === SILENCE) {
      await new Promise<void>((resolve) => {
        if (signal === undefined) return;
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    await new Promise((resolve) => setImmediate(resolve));
    yield typeof step === 'string' ? encoder.encode(step) : step;
  }
}

/** One watch frame as the API server writes it, newline included. */
export function frameLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** The Status object of an ERROR frame. */
export function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
