import { spawnSync } from 'node:child_process';
import type { AppProcess } from './app-process.js';

/** One scrape of the app's METRICS_PORT. */
export async function scrape(app: AppProcess): Promise<string> {
  const response = await fetch(`${app.metricsUrl}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}

/** The value of one series, e.g. `http_request_duration_seconds_count{method="GET",...}`. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every series line's name and labels, in order (comments left out). */
export function seriesOf(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.slice(0, line.lastIndexOf(' ')));
}

/** GET /health/live `total` times from `concurrency` loops (so over several connections): pid -> count. */
export async function hitLive(app: AppProcess, total: number, concurrency = 10) {
  const byPid = new Map<number, number>();
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent++;
        const response = await fetch(`${app.url}/health/live`);
        const body = (await response.json()) as { details: { process: { pid: number } } };
        const pid = body.details.process.pid;
        byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      }
    }),
  );
  return byPid;
}

/**
 * Runs `promtool check metrics` (Debian package `prometheus`) on an exposition; null when promtool
 * is not installed, so a suite can skip that check and say so.
 */
export function promtoolCheck(text: string): { status: number | null; output: string } | null {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
