import { QUEUES } from '../infra/queue/queue-names.js';

/** The welcome notification job, on the notifications queue: enqueued (through the outbox) at registration. */
export const WELCOME_JOB = { queue: QUEUES.notifications, name: 'welcome' } as const;

export interface WelcomeJobData extends Record<string, unknown> {
  userId: string;
}
