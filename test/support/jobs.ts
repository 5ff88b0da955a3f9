import { readFileSync } from 'node:fs';
import { Queue, QueueEvents } from 'bullmq';
import { Client } from 'pg';
import { QUEUE_PREFIX } from '../../src/infra/queue/queue-options.js';
import { type AppProcess, type StartOptions, startApp } from './app-process.js';
import type { StackEnv } from './stack.js';
import { sleep } from './wait.js';

/** Starts the built job worker (dist/worker.js) and waits until its queue workers are connected. */
export async function startWorker(
  stack: StackEnv,
  env: StartOptions['env'] = {},
): Promise<AppProcess> {
  const worker = await startApp(stack, { entry: 'worker.js', waitForReady: false, env });
  await worker.waitForOutput(/worker ready/, 30_000);
  return worker;
}

/** A BullMQ handle on one of the app's queues, as the app names and prefixes them. */
export function appQueue(stack: StackEnv, name: string): Queue {
  return new Queue(name, { connection: { url: stack.REDIS_URL }, prefix: QUEUE_PREFIX });
}

/** Listens to one queue's events (completed, failed, stalled) from now on. */
export async function appQueueEvents(stack: StackEnv, name: string): Promise<QueueEvents> {
  const events = new QueueEvents(name, {
    connection: { url: stack.REDIS_URL },
    prefix: QUEUE_PREFIX,
  });
  await events.waitUntilReady();
  return events;
}

/** A connection to the stack's primary, for asserting on rows. */
export async function primaryClient(stack: StackEnv): Promise<Client> {
  const client = new Client({ connectionString: stack.DATABASE_URL });
  await client.connect();
  return client;
}

export { sleep };

/** Polls `probe` until `accept` says yes; returns the accepted value. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (accept(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/** Resident memory of a process in KiB (Linux /proc). */
export function vmRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}
