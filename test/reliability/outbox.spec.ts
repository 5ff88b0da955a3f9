import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Client } from 'pg';
import { adminLogin, call, json } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { appQueue, primaryClient, sleep, startWorker, until } from '../support/jobs.js';
import { downStack, services, stackDir, type StackEnv, upOwnStack } from '../support/stack.js';

// The welcome notification goes through a transactional outbox: enqueued if and only if the registration
// commits, and not lost when the API dies right after the commit. This suite pauses and kills Redis and
// SIGKILLs API processes, so it has a stack of its own.
const DIR = stackDir('outbox');

describe('transactional outbox and fail-fast producers', () => {
  let stack: StackEnv;
  let db: Client;
  let notifications: Queue;
  const apps: AppProcess[] = [];

  const api = async () => {
    const app = await startApp(stack);
    apps.push(app);
    return app;
  };
  const register = (app: AppProcess, email: string) =>
    call(app.url, 'POST', '/auth/register', {
      body: { email, password: 'a-long-enough-password', name: 'Outbox Test' },
    });
  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query(sql, params)).rows[0].n);

  beforeAll(async () => {
    stack = upOwnStack(DIR, 100, 2);
    db = await primaryClient(stack);
    notifications = appQueue(stack, 'notifications');
  });

  afterEach(async () => {
    services(DIR, 'resume-redis');
    await Promise.all(apps.splice(0).map((app) => app.stop()));
  });

  afterAll(async () => {
    await notifications?.close();
    await db?.end();
    downStack(DIR);
  });

  it('a registration that rolls back enqueues nothing', async () => {
    const app = await api();
    // Fails every registration of these addresses at COMMIT, after the user and outbox rows were written.
    await db.query(`
      CREATE FUNCTION reject_rollback_users() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.email LIKE 'rollback-%' THEN RAISE EXCEPTION 'rejected at commit by the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE CONSTRAINT TRIGGER reject_rollback_users AFTER INSERT ON users
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reject_rollback_users();`);
    try {
      const outboxBefore = await count(`SELECT count(*) AS n FROM outbox`, []);
      const waitingBefore = await notifications.getJobCountByTypes(
        'waiting',
        'active',
        'completed',
        'failed',
        'delayed',
      );
      const email = `rollback-${randomUUID()}@example.com`;
      const response = await register(app, email);
      expect(response.status).toBe(500);
      await sleep(1_500); // more than a relay poll
      const outboxAfter = await count(`SELECT count(*) AS n FROM outbox`, []);
      const waitingAfter = await notifications.getJobCountByTypes(
        'waiting',
        'active',
        'completed',
        'failed',
        'delayed',
      );
      console.log(
        `rollback: HTTP ${response.status}; outbox rows ${outboxBefore} -> ${outboxAfter}; jobs ${waitingBefore} -> ${waitingAfter}`,
      );
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = $1`, [email])).toBe(0);
      expect(outboxAfter).toBe(outboxBefore);
      expect(waitingAfter).toBe(waitingBefore);
      // The control: the same path with an address the trigger accepts does enqueue.
      const ok = await register(app, `kept-${randomUUID()}@example.com`);
      expect(ok.status).toBe(201);
      await until(
        'the committed one is enqueued',
        () =>
          notifications.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed'),
        (n) => n === waitingBefore + 1,
        5_000,
      );
    } finally {
      await db.query(
        `DROP TRIGGER reject_rollback_users ON users; DROP FUNCTION reject_rollback_users()`,
      );
    }
  });

  it('a committed registration is delivered once although the API was SIGKILLed right after the commit', async () => {
    const first = await api();
    // With Redis frozen the relay's add cannot complete, so the process dies holding a committed,
    // unsent outbox row: exactly the window between COMMIT and queue.add.
    services(DIR, 'pause-redis');
    const email = `killed-${randomUUID()}@example.com`;
    const response = await register(first, email);
    expect(response.status).toBe(201);
    first.child.kill('SIGKILL');
    await first.exited;
    const userId = response.body.id as string;
    const pending = await db.query<{ id: string; sent_at: Date | null }>(
      `SELECT id, sent_at FROM outbox WHERE payload->>'userId' = $1`,
      [userId],
    );
    expect(pending.rows).toHaveLength(1);
    expect(pending.rows[0].sent_at).toBeNull();
    const jobId = pending.rows[0].id;
    services(DIR, 'resume-redis');

    // The next API process's relay finds the row; the worker delivers it.
    await api();
    const worker = await startWorker(stack);
    try {
      const job = await until(
        'welcome delivered',
        async () => {
          const found = await notifications.getJob(jobId);
          return found && (await found.getState()) === 'completed' ? found : undefined;
        },
        Boolean,
        20_000,
      );
      const sent = await db.query(`SELECT sent_at FROM outbox WHERE id = $1`, [jobId]);
      const delivered = await count(`SELECT count(*) AS n FROM notifications WHERE user_id = $1`, [
        userId,
      ]);
      console.log(
        `SIGKILL after commit: outbox row unsent at the kill; after restart sent_at ${sent.rows[0].sent_at?.toISOString()}, ` +
          `job ${jobId} completed (attempts ${job!.attemptsMade}), notifications ${delivered}`,
      );
      expect(sent.rows[0].sent_at).not.toBeNull();
      expect(delivered).toBe(1);
      expect(
        (
          await notifications.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])
        ).filter((j) => j.data.userId === userId),
      ).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('with Redis down, enqueueing answers 503 at once (no hang) and registration still works', async () => {
    const app = await api();
    const admin = (await adminLogin(app.url)).accessToken;
    services(DIR, 'stop-redis');
    try {
      const form = new FormData();
      form.append('file', new Blob(['sku,name,category,price_cents\nA-1,A,cat,100\n']), 'a.csv');
      const startedAt = Date.now();
      const response = await fetch(`${app.url}/products/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
        body: form,
      });
      const tookMs = Date.now() - startedAt;
      const body = await json(response);
      console.log(
        `Redis down: POST /products/imports -> ${response.status} in ${tookMs} ms: ${body.message}`,
      );
      expect(response.status).toBe(503);
      expect(body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(body.message).toMatch(/Background jobs are unavailable/);
      expect(tookMs).toBeLessThan(2_000);
      expect(await count(`SELECT count(*) AS n FROM product_imports`, [])).toBe(0);
      // The outbox decouples registration from Redis: it commits now and is relayed later.
      const registered = await register(app, `offline-${randomUUID()}@example.com`);
      expect(registered.status).toBe(201);
      const ready = await call(app.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.details.queues.status).toBe('degraded');
    } finally {
      services(DIR, 'start-redis');
    }
  });
});
