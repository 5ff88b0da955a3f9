import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobWorkers } from './job-workers.js';

/** Runs the @JobProcessor providers of the modules imported beside it. Worker process only. */
@Module({ imports: [DiscoveryModule], providers: [JobWorkers], exports: [JobWorkers] })
export class JobWorkerModule {}
