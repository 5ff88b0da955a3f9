/**
 * Every queue the app uses. One queue per job type: each has its own depth, dead-letter set and worker
 * concurrency, so a flood of imports never delays a welcome notification.
 */
export const QUEUES = {
  notifications: 'notifications',
  productImports: 'product-imports',
  catalogMaintenance: 'catalog-maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}
