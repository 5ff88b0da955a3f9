import { Module } from '@nestjs/common';
import { AccessTokenModule } from '../auth/access-token.module.js';
import { BullBoardMount } from './bull-board.js';
import { QueuesAdminController } from './queues-admin.controller.js';

/** Admin views of the job queues: Bull Board at /admin/queues and the dead-letter JSON API. API only. */
@Module({
  imports: [AccessTokenModule],
  controllers: [QueuesAdminController],
  providers: [BullBoardMount],
  exports: [BullBoardMount],
})
export class QueuesAdminModule {}
