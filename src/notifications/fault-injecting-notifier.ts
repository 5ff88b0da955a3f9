import type {
  DeliveryContext,
  DeliveryOutcome,
  NotificationMessage,
  Notifier,
} from './notifier.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * ENABLE_DIAGNOSTICS only (never in production): faults chosen by the recipient's address tag, so the
 * reliability tests can drive a real job through retries and crashes.
 * - `name+fail2@...`: the first 2 attempts throw a (retryable) error.
 * - `name+slow3000@...`: after delivering, wait 3 s before the job completes (time to kill the worker).
 */
export class FaultInjectingNotifier implements Notifier {
  constructor(private readonly inner: Notifier) {}

  async deliver(message: NotificationMessage, context: DeliveryContext): Promise<DeliveryOutcome> {
    const tag = /\+([^@]*)@/.exec(message.recipient)?.[1] ?? '';
    const failures = Number(/fail(\d+)/.exec(tag)?.[1] ?? 0);
    if (context.attempt <= failures) {
      throw new Error(`injected failure ${context.attempt} of ${failures} (diagnostics)`);
    }
    const outcome = await this.inner.deliver(message, context);
    const slowMs = Number(/slow(\d+)/.exec(tag)?.[1] ?? 0);
    if (slowMs > 0) await sleep(slowMs);
    return outcome;
  }
}
