import { type AppProcess, startApp } from '../support/app-process.js';
import { hitLive, sample, scrape } from '../support/metrics.js';
import { sharedStackEnv } from '../support/stack.js';
import { until, workerPids } from '../support/wait.js';

const LIVE_COUNT =
  'http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"}';

/** Scrapes until the request count reaches `expected` (replies are counted once flushed), at most 2 s. */
async function liveCount(app: AppProcess, expected: number): Promise<number | undefined> {
  let count = sample(await scrape(app), LIVE_COUNT);
  for (let i = 0; i < 20 && count !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = sample(await scrape(app), LIVE_COUNT);
  }
  return count;
}

describe('cluster metrics when workers die or are replaced', () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), { env: { WEB_CONCURRENCY: '2' } });
  });
  afterAll(async () => {
    const { code } = await app.stop();
    expect(code).toBe(0);
  });

  it('the summed request counter never goes down: a killed worker keeps its last counts', async () => {
    await hitLive(app, 100);
    expect(await liveCount(app, 100)).toBe(100);

    const [victim] = workerPids(app);
    process.kill(victim, 'SIGKILL');
    await until(() => workerPids(app).length === 3, 15_000);
    await hitLive(app, 50);
    // Nothing was counted between the last scrape and the kill, so nothing is lost.
    expect(await liveCount(app, 150)).toBe(150);
    expect(sample(await scrape(app), 'cluster_worker_exits_total')).toBe(1);
  });

  it('a rolling restart loses no count: each draining worker sends its final numbers', async () => {
    await hitLive(app, 30); // not scraped before the restart
    process.kill(app.child.pid!, 'SIGUSR2');
    await app.waitForOutput(/rolling restart complete/, 45_000);
    const text = await scrape(app);
    expect(sample(text, LIVE_COUNT)).toBe(180);
    expect(sample(text, 'cluster_worker_exits_total')).toBe(3);
    expect(sample(text, 'cluster_workers')).toBe(2);
  });
});
