/**
 * `promise`, or a rejection with `message` once `ms` pass first. The work itself is not cancelled: use
 * this where an answer that comes late is as good as none (a probe, a health check), and let the
 * work's own timeout end it.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
