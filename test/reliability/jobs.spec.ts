import { randomUUID } from 'node:crypto';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Client } from 'pg';
import { adminLogin, call, newUser } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import {
  appQueue,
  appQueueEvents,
  primaryClient,
  sleep,
  startWorker,
  until,
} from '../support/jobs.js';
import { scrape } from '../support/metrics.js';
import { downStack, stackDir, type StackEnv, upOwnStack } from '../support/stack.js';

// Delivery guarantees of the job workers against real Redis and Postgres: retries, dead letters,
// graceful drain, stalled-job recovery after kill -9, and a recurring job shared by two workers.
// Its own stack: it kills workers mid-job and changes the job scheduler.
const DIR = stackDir('jobs');
// Retries in milliseconds instead of seconds, and a dead worker's job noticed in seconds instead of
// 30 s. Every worker gets the same settings, as in a deployment: the stalled check is shared by all
// workers of a queue and runs at most once per the interval of the worker that ran it last.
const FAST = {
  JOB_BACKOFF_MS: '100',
  JOB_LOCK_DURATION_MS: '2000',
  JOB_STALLED_INTERVAL_MS: '1000',
};

describe('job workers: at-least-once, idempotent, retried, dead-lettered, drained', () => {
  let stack: StackEnv;
  let api: AppProcess;
  let db: Client;
  let notifications: Queue;
  let events: QueueEvents;
  const stalledJobIds: string[] = [];
  let admin: string;
  const workers: AppProcess[] = [];

  const worker = async (env: Record<string, string> = {}) => {
    const started = await startWorker(stack, { ...FAST, ...env });
    workers.push(started);
    return started;
  };

  /** Registers a user whose address carries the notifier's fault tag; returns the welcome job id. */
  const register = async (tag: string) => {
    const email = `user-${randomUUID()}+${tag}@example.com`;
    const response = await call(api.url, 'POST', '/auth/register', {
      body: { email, password: 'a-long-enough-password', name: 'Job Test' },
    });
    expect(response.status).toBe(201);
    const userId = response.body.id as string;
    // The outbox row's id is the job id; the relay sends it within moments of the commit.
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM outbox WHERE payload->>'userId' = $1`,
      [userId],
    );
    expect(rows).toHaveLength(1);
    return { userId, email, jobId: rows[0].id };
  };

  const deliveries = async (userId: string) =>
    Number(
      (await db.query(`SELECT count(*) AS n FROM notifications WHERE user_id = $1`, [userId]))
        .rows[0].n,
    );

  const settled = (jobId: string, timeoutMs = 30_000) =>
    until(
      `job ${jobId} settled`,
      async () => {
        const job = await notifications.getJob(jobId);
        return job ? { job, state: await job.getState() } : undefined;
      },
      (found) => found?.state === 'completed' || found?.state === 'failed',
      timeoutMs,
      // Read again once settled: the first read may predate the final attempt's bookkeeping.
    ).then(async () => (await notifications.getJob(jobId)) as Job);

  beforeAll(async () => {
    stack = upOwnStack(DIR, 500, 5);
    api = await startApp(stack);
    admin = (await adminLogin(api.url)).accessToken;
    db = await primaryClient(stack);
    notifications = appQueue(stack, 'notifications');
    events = await appQueueEvents(stack, 'notifications');
    events.on('stalled', ({ jobId }) => stalledJobIds.push(jobId));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  afterAll(async () => {
    await events?.close();
    await notifications?.close();
    await db?.end();
    await api?.stop();
    downStack(DIR);
  });

  it('a job that fails twice then succeeds: 3 attempts, completed once, delivered once', async () => {
    const w = await worker();
    const { userId, jobId } = await register('fail2');
    const job = await settled(jobId);
    // Log lines are written in batches (up to 250 ms later): wait for the last one before counting.
    await w.waitForOutput(new RegExp(`job ${jobId} \\(welcome\\) completed`), 5_000);
    const retries = w
      .output()
      .match(new RegExp(`job ${jobId} \\(welcome\\) failed.*will retry`, 'g'));
    console.log(
      `retry: job ${jobId} ${await job.getState()} after ${job.attemptsMade} attempts; ` +
        `${retries?.length} retries logged; notifications ${await deliveries(userId)}`,
    );
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(3);
    expect(retries).toHaveLength(2);
    expect(job.returnvalue).toEqual({ outcome: 'delivered' });
    expect(await deliveries(userId)).toBe(1);
  });

  it('a permanent failure: 1 attempt, kept in the failed set with its reason, shown by the admin API and Bull Board', async () => {
    // No worker yet: the user is deleted before the welcome can be sent, which no retry can fix.
    const user = await newUser(api.url);
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM outbox WHERE payload->>'userId' = $1`,
      [user.id],
    );
    const jobId = rows[0].id;
    expect(
      (await call(api.url, 'DELETE', `/users/${user.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    await until('job enqueued by the relay', () => notifications.getJob(jobId), Boolean, 10_000);
    // The API only produces: with no worker process running, nothing takes the job.
    await sleep(1_000);
    expect(await (await notifications.getJob(jobId))!.getState()).toBe('waiting');
    await worker();
    const job = await settled(jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(`user ${user.id} no longer exists`);

    const failed = await call(api.url, 'GET', '/admin/queues/notifications/failed?limit=200', {
      token: admin,
    });
    expect(failed.status).toBe(200);
    const listed = failed.body.items.find((item: { id: string }) => item.id === jobId);
    console.log(`dead letter: ${JSON.stringify(listed)}`);
    expect(listed).toMatchObject({
      name: 'welcome',
      attemptsMade: 1,
      failedReason: `user ${user.id} no longer exists`,
      data: { userId: user.id },
    });
    expect(failed.body.total).toBeGreaterThanOrEqual(1);

    // Admin only, for the JSON API and for Bull Board (a Fastify plugin outside Nest's guards).
    const someone = await newUser(api.url);
    expect(
      (
        await call(api.url, 'GET', '/admin/queues/notifications/failed', {
          token: someone.accessToken,
        })
      ).status,
    ).toBe(403);
    expect((await call(api.url, 'GET', '/admin/queues/api/queues')).status).toBe(401);
    expect(
      (await call(api.url, 'GET', '/admin/queues/api/queues', { token: someone.accessToken }))
        .status,
    ).toBe(403);
    const board = await call(api.url, 'GET', '/admin/queues/api/queues', { token: admin });
    expect(board.status).toBe(200);
    const counts = board.body.queues.find((q: { name: string }) => q.name === 'notifications');
    expect(counts.counts.failed).toBeGreaterThanOrEqual(1);
    const page = await fetch(`${api.url}/admin/queues`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/queues/login');

    // The dead-letter counts are in readiness details (never failing it) and in the worker's metrics.
    const ready = await call(api.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.queues.notifications.failed).toBeGreaterThanOrEqual(1);
    const metrics = await scrape(workers[0]);
    expect(metrics).toMatch(/^queue_jobs\{queue="notifications",state="failed"\} [1-9]/m);
    expect(metrics).toMatch(/^jobs_processed_total\{queue="notifications",outcome="failed"\} 1$/m);

    // An admin can send it back; it fails again for the same reason (the user is still gone).
    const retried = await call(
      api.url,
      'POST',
      `/admin/queues/notifications/failed/${jobId}/retry`,
      { token: admin },
    );
    expect(retried.status).toBe(202);
    const again = await until(
      'retried job failed again',
      () => notifications.getJob(jobId),
      (j) => !!j && !!j.finishedOn && j.finishedOn > job.finishedOn!,
      10_000,
    );
    expect(await again!.getState()).toBe('failed');
    expect(again!.attemptsMade).toBe(1);
  });

  it('SIGTERM mid-job: the active job completes, no stall, exit 0', async () => {
    const w = await worker();
    const { userId, jobId } = await register('slow3000');
    // Delivered (the side effect), then 3 s more before the job completes: SIGTERM lands in between.
    await until(
      'side effect applied',
      () => deliveries(userId),
      (n) => n === 1,
      10_000,
    );
    const signalledAt = Date.now();
    w.child.kill('SIGTERM');
    const { code } = await w.exited;
    const tookMs = Date.now() - signalledAt;
    const job = await notifications.getJob(jobId);
    console.log(
      `SIGTERM mid-job: exit ${code} after ${tookMs} ms; job ${await job!.getState()}, attempts ${job!.attemptsMade}, stalled ${job!.stalledCounter}`,
    );
    expect(code).toBe(0);
    expect(tookMs).toBeGreaterThan(1_500); // it waited for the job
    expect(await job!.getState()).toBe('completed');
    expect(job!.attemptsMade).toBe(1);
    expect(job!.stalledCounter).toBe(0);
    expect(stalledJobIds).not.toContain(jobId);
    expect(w.output()).toMatch(/stopping workers: waiting for 1 active job/);
    expect(await deliveries(userId)).toBe(1);
  });

  it('kill -9 mid-job: stalled-job recovery runs it again on another worker; the side effect is applied once', async () => {
    const first = await worker();
    const { userId, jobId } = await register('slow4000');
    await until(
      'side effect applied',
      () => deliveries(userId),
      (n) => n === 1,
      10_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const second = await worker();
    const job = await settled(jobId);
    const recoveredMs = Date.now() - killedAt;
    console.log(
      `kill -9 mid-job: job ${jobId} ${await job.getState()} ${recoveredMs} ms after the kill ` +
        `(stalled ${job.stalledCounter}, attemptsStarted ${job.attemptsStarted}), outcome ${JSON.stringify(job.returnvalue)}, notifications ${await deliveries(userId)}`,
    );
    expect(await job.getState()).toBe('completed');
    expect(stalledJobIds).toContain(jobId);
    expect(job.attemptsStarted).toBe(2);
    // The second run found the notification already recorded: applied exactly once.
    expect(job.returnvalue).toEqual({ outcome: 'duplicate' });
    expect(await deliveries(userId)).toBe(1);
    await second.waitForOutput(new RegExp(`job ${jobId} \\(welcome\\) completed`), 5_000);
  });

  it('the recurring job runs once per period for the whole deployment, with two worker processes', async () => {
    const maintenance = appQueue(stack, 'catalog-maintenance');
    try {
      const periodMs = 2_000;
      const env = { CATALOG_STATS_SCHEDULE: String(periodMs) };
      const [a, b] = await Promise.all([worker(env), worker(env)]);
      const startedAt = Date.now();
      await sleep(11_000);
      await Promise.all([a.stop(), b.stop()]);
      const runs = [a, b].map(
        (w) =>
          w.output().match(/catalog stats recalculated: \d+ categories \(job ([^)]+)\)/g) ?? [],
      );
      const jobIds = runs.flat().map((line) => /\(job ([^)]+)\)/.exec(line)![1]);
      const completed = (await maintenance.getJobs(['completed'], 0, 100)).filter(
        (job) => job.finishedOn! >= startedAt - periodMs,
      );
      const dueTimes = [...new Set(jobIds)]
        .map((id) => Number(id.split(':').pop()))
        .sort((x, y) => x - y);
      console.log(
        `recurring: ${jobIds.length} runs in ~11 s (worker A ${runs[0].length}, worker B ${runs[1].length}); ` +
          `due times ${dueTimes.map((t) => t % 100_000).join(', ')}; ${completed.length} completed jobs`,
      );
      expect(new Set(jobIds).size).toBe(jobIds.length); // no period ran twice
      expect(jobIds.length).toBeGreaterThanOrEqual(4);
      expect(jobIds.length).toBeLessThanOrEqual(7);
      for (let i = 1; i < dueTimes.length; i++) {
        expect(dueTimes[i] - dueTimes[i - 1]).toBeGreaterThanOrEqual(periodMs);
      }
      const stats = await db.query(`SELECT count(*)::int AS n FROM category_stats`);
      expect(stats.rows[0].n).toBeGreaterThan(0);
    } finally {
      await maintenance.close();
    }
  });
});
