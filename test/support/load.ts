export interface StreamResult {
  sent: number;
  ok: number;
  failures: Array<{ status?: number; error?: string }>;
  /** Requests sent again once after their connection closed before any response (see isConnectionClosed). */
  retried: Array<{ error: string }>;
  /** The longest a request took, in ms. */
  slowestMs: number;
}

/**
 * A keep-alive connection the server closed as idle at the moment the client sent on it: no response
 * came, and the request may never have been read. RFC 9112 (section 9.3.1) lets a client send an
 * idempotent request again in that case, and nginx and browsers do; undici's fetch does not, so the
 * load below does it, once. A reset after response headers, a timeout or an error status is not retried.
 */
function isConnectionClosed(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return (
    cause?.code === 'ECONNRESET' ||
    (cause?.code === 'UND_ERR_SOCKET' && /other side closed/.test(cause.message ?? ''))
  );
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
  const result: StreamResult = { sent: 0, ok: 0, failures: [], retried: [], slowestMs: 0 };
  const deadline = Date.now() + options.maxMs;
  const isOk = options.ok ?? ((status: number) => status >= 200 && status < 300);
  const loop = async () => {
    while (Date.now() < deadline && result.sent < options.maxRequests && !options.stop?.()) {
      result.sent++;
      const started = performance.now();
      try {
        const send = () => fetch(url, { signal: AbortSignal.timeout(10_000) });
        const response = await send().catch((error: unknown) => {
          if (!isConnectionClosed(error)) throw error;
          result.retried.push({ error: String((error as Error).cause) });
          return send();
        });
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
