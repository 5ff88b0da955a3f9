import { Module } from '@nestjs/common';
import { OutboxRelay } from './outbox-relay.js';

/** The outbox relay: runs in the API processes, next to the transactions that write the outbox. */
@Module({ providers: [OutboxRelay], exports: [OutboxRelay] })
export class OutboxRelayModule {}
