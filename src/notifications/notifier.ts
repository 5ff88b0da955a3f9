export type NotificationKind = 'welcome';

export interface NotificationMessage {
  kind: NotificationKind;
  userId: string;
  recipient: string;
  name: string;
}

export interface DeliveryContext {
  /** Stable across retries and redeliveries: pass it to a provider as its idempotency key. */
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** `duplicate`: this (kind, user) was already delivered, by an earlier run of the same job. */
export type DeliveryOutcome = 'delivered' | 'duplicate';

/**
 * Sends a notification. Bind NOTIFIER to another implementation (e-mail, push) in NotificationsModule.
 * It must be idempotent per (kind, user): jobs are delivered at least once. An implementation that
 * calls an external provider should claim the (kind, user) row first and pass `jobId` as the provider's
 * idempotency key. Throw UnrecoverableError (bullmq) for failures a retry cannot fix.
 */
export interface Notifier {
  deliver(message: NotificationMessage, context: DeliveryContext): Promise<DeliveryOutcome>;
}

export const NOTIFIER = Symbol('NOTIFIER');
