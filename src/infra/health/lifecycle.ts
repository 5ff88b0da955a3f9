import { Injectable } from '@nestjs/common';

/** Whether this process is taking traffic. Readiness turns false the moment shutdown begins. */
@Injectable()
export class Lifecycle {
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  beginShutdown(): void {
    this.shuttingDown = true;
  }
}
