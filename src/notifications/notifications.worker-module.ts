import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { User } from '../users/user.entity.js';
import { FaultInjectingNotifier } from './fault-injecting-notifier.js';
import { Notification } from './notification.entity.js';
import { NotificationsProcessor } from './notifications.processor.js';
import { NOTIFIER } from './notifier.js';
import { RecordingNotifier } from './recording-notifier.js';

/** Worker side of notifications: the processor and the notifier it delivers through. */
@Module({
  imports: [TypeOrmModule.forFeature([Notification, User])],
  providers: [
    RecordingNotifier,
    {
      provide: NOTIFIER,
      inject: [APP_CONFIG, RecordingNotifier],
      useFactory: (config: AppConfig, recording: RecordingNotifier) =>
        config.ENABLE_DIAGNOSTICS ? new FaultInjectingNotifier(recording) : recording,
    },
    NotificationsProcessor,
  ],
})
export class NotificationsWorkerModule {}
