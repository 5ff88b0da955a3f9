import { Injectable } from '@nestjs/common';
import type { EntityManager, QueryRunner } from 'typeorm';
import type { QueueName } from './queue-names.js';

/** Transactions that wrote outbox rows; the relay is woken when one of them commits. */
export const transactionsWithOutboxRows = new WeakSet<QueryRunner>();

/**
 * Writes jobs to the outbox inside the caller's transaction. Use it for work that must follow a commit
 * and must not be lost (a process can die between COMMIT and `queue.add`): the row commits or rolls
 * back with the change, and the relay enqueues it, at least once, with a deterministic job id.
 */
@Injectable()
export class Outbox {
  async add(
    manager: EntityManager,
    queue: QueueName,
    jobName: string,
    payload: Record<string, unknown>,
  ): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('Outbox.add needs the EntityManager of an open transaction');
    }
    const [row] = (await manager.query(
      `INSERT INTO outbox (queue, job_name, payload) VALUES ($1, $2, $3) RETURNING id`,
      [queue, jobName, JSON.stringify(payload)],
    )) as Array<{ id: string }>;
    transactionsWithOutboxRows.add(manager.queryRunner);
    return row.id;
  }
}
