/**
 * SIGTERM/SIGINT, caught from the first instant of the process. Loading the router's modules
 * takes a moment; a signal that arrives meanwhile is remembered here (instead of killing the
 * process by the default action) and handed to whoever waits for it once running.
 */
const pending: string[] = [];
const waiters: Array<(signal: string) => void> = [];

function deliver(signal: string): void {
  const waiter = waiters.shift();
  if (waiter) waiter(signal);
  else pending.push(signal);
}

export function installSignalHandlers(): void {
  process.on('SIGTERM', () => deliver('SIGTERM'));
  process.on('SIGINT', () => deliver('SIGINT'));
}

/** Resolves with the next signal (or one that already arrived). */
export function nextSignal(): Promise<string> {
  const early = pending.shift();
  if (early !== undefined) return Promise.resolve(early);
  return new Promise((resolve) => waiters.push(resolve));
}

/** Calls `handler` on every later signal. */
export function onSignal(handler: (signal: string) => void): void {
  const loop = () => void nextSignal().then((signal) => {
    handler(signal);
    loop();
  });
  loop();
}
