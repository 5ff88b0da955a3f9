import { call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { downStack, services, stackDir, type StackEnv, upOwnStack } from '../support/stack.js';
import { sleep } from '../support/wait.js';

// This suite kills and freezes its Redis, so it has a stack of its own.
const DIR = stackDir('redis-outage');
interface Sample {
  status: number;
  ms: number;
  fromCache: boolean;
}

/** GETs over a fixed set of products from 4 loops until stopped (bounded in time and count). */
function readLoad(app: AppProcess, ids: string[]) {
  const samples: Sample[] = [];
  let stopped = false;
  const deadline = Date.now() + 60_000;
  const loop = async (offset: number) => {
    for (let i = offset; !stopped && Date.now() < deadline && samples.length < 400_000; i += 4) {
      const started = performance.now();
      try {
        const response = await fetch(`${app.url}/products/${ids[i % ids.length]}`);
        await response.arrayBuffer();
        samples.push({
          status: response.status,
          ms: performance.now() - started,
          fromCache: response.headers.get('x-db-queries') === '0',
        });
      } catch {
        samples.push({ status: 0, ms: performance.now() - started, fromCache: false });
      }
    }
  };
  const done = Promise.all([0, 1, 2, 3].map(loop));
  return {
    samples,
    mark: () => samples.length,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

function summarise(samples: Sample[]) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  return {
    requests: samples.length,
    non2xx: samples.filter((s) => s.status < 200 || s.status >= 300).length,
    p99Ms: Math.round(p99 * 10) / 10,
    maxMs: Math.round((sorted[sorted.length - 1] ?? 0) * 10) / 10,
    hitRatio:
      Math.round((samples.filter((s) => s.fromCache).length / Math.max(1, samples.length)) * 1000) /
      1000,
  };
}

describe('Redis outage under a stream of product reads', () => {
  let stack: StackEnv;
  let app: AppProcess;
  let ids: string[];

  beforeAll(async () => {
    stack = upOwnStack(DIR, 200, 5);
    app = await startApp(stack, { env: { REDIS_COMMAND_TIMEOUT_MS: '250' } });
    ids = (await call(app.url, 'GET', '/products?limit=50')).body.items.map(
      (p: { id: string }) => p.id,
    );
  });
  afterAll(async () => {
    await app?.stop();
    downStack(DIR);
  });

  it.each([
    ['killed (SIGKILL)', 'stop-redis', 'start-redis'],
    ['hung (SIGSTOP)', 'pause-redis', 'resume-redis'],
  ])(
    'Redis %s: no failed request, bounded latency, and the cache recovers without a restart',
    async (_name, breakIt, repairIt) => {
      const load = readLoad(app, ids);
      await sleep(1_500); // warm: every id cached in both tiers
      const outageStart = load.mark();
      services(DIR, breakIt);
      await sleep(3_000);
      const ready = await call(app.url, 'GET', '/health/ready');
      const outageEnd = load.mark();
      services(DIR, repairIt);
      await sleep(4_000); // the breaker's trial closes it, the subscriber reconnects, caches refill
      const recoveredFrom = load.mark();
      await sleep(2_000);
      await load.stop();

      const before = summarise(load.samples.slice(0, outageStart));
      const during = summarise(load.samples.slice(outageStart, outageEnd));
      const after = summarise(load.samples.slice(recoveredFrom));
      console.log(
        `Redis ${_name}: before ${JSON.stringify(before)}; during ${JSON.stringify(during)}; after ${JSON.stringify(after)}`,
      );

      expect(ready.status).toBe(200);
      expect(ready.body.details.redis.status).toBe('degraded');
      expect(before.non2xx + during.non2xx + after.non2xx).toBe(0);
      expect(during.requests).toBeGreaterThan(100);
      // Served from the database while Redis is out, from the cache again afterwards.
      expect(during.hitRatio).toBeLessThan(0.5);
      expect(after.hitRatio).toBeGreaterThan(0.9);
      expect((await call(app.url, 'GET', '/health/ready')).body.details.redis.status).toBe('up');
    },
  );
});
