export interface StreamResult {
  sent: number;
  ok: number;
  failures: Array<{ status?: number; error?: string }>;
  /** The longest a request took, in ms. */
  slowestMs: number;
}

/**
 * Sends requests from `concurrency` loops until `stop()` returns true or `maxMs` passes (whichever first),
 * never more than `maxRequests` in all: every loop in the tests is bounded in count and time.
 */
export async function streamRequests(
  url: string,
  options: {
    concurrency: number;
    maxMs: number;
    maxRequests: number;
    stop?: () => boolean;
    ok?: (status: number) => boolean;
  },
): Promise<StreamResult> {
  const result: StreamResult = { sent: 0, ok: 0, failures: [], slowestMs: 0 };
  const deadline = Date.now() + options.maxMs;
  const isOk = options.ok ?? ((status: number) => status >= 200 && status < 300);
  const loop = async () => {
    while (Date.now() < deadline && result.sent < options.maxRequests && !options.stop?.()) {
      result.sent++;
      const started = performance.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (isOk(response.status)) result.ok++;
        else result.failures.push({ status: response.status });
      } catch (error) {
        result.failures.push({ error: String((error as Error).cause ?? error) });
      }
      result.slowestMs = Math.max(result.slowestMs, Math.round(performance.now() - started));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return result;
}
