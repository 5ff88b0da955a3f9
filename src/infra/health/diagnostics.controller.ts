import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/**
 * Mounted only with ENABLE_DIAGNOSTICS=true: a request that stays in flight for as long as asked (so the
 * shutdown tests can prove a draining process finishes what it started) and one that fails unexpectedly.
 */
@ApiExcludeController()
@Controller('_diagnostics')
export class DiagnosticsController {
  @Get('sleep')
  async sleep(@Query('ms') ms = '1000') {
    const duration = Number(ms);
    if (!Number.isInteger(duration) || duration < 0 || duration > 60_000) {
      throw new BadRequestException({
        message: 'Validation failed',
        errors: [{ field: 'ms', message: 'must be an integer from 0 to 60000' }],
      });
    }
    await new Promise((resolve) => setTimeout(resolve, duration));
    return { sleptMs: duration, pid: process.pid };
  }

  /** An unexpected error, to prove a 500 body carries no stack or internal message. */
  @Get('fail')
  fail(): never {
    throw new Error('internal detail that must not leak: /srv/secret/path.ts:42');
  }
}
