import type { AppProcess } from './app-process.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a synchronous condition every 20 ms; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Polls `probe` every 50 ms until `accept` holds; returns how long it took, throws after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (accept(await probe())) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

/** The pids of every HTTP worker a cluster primary reported listening, in order. */
export function workerPids(app: AppProcess): number[] {
  return [...app.output().matchAll(/"worker":(\d+)[^\n]*"msg":"worker listening"/g)].map((m) =>
    Number(m[1]),
  );
}
