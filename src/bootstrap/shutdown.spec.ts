import {
  type BeforeApplicationShutdown,
  Controller,
  Get,
  Injectable,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import type { Server } from 'node:http';
import { closeHttpThenApp } from './shutdown.js';

/** Records, when Nest's shutdown hooks run, whether the HTTP server still takes connections. */
@Injectable()
class HookProbe implements BeforeApplicationShutdown {
  static listeningDuringHooks: boolean | undefined;
  static server: Server | undefined;
  beforeApplicationShutdown(): void {
    HookProbe.listeningDuringHooks = HookProbe.server?.listening;
  }
}

@Controller()
class LiveController {
  constructor(private readonly health: HealthCheckService) {}
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}

@Module({ imports: [TerminusModule], controllers: [LiveController], providers: [HookProbe] })
class ProbeModule {}

describe('closeHttpThenApp', () => {
  it('stops the HTTP server before any shutdown hook (terminus 503s every check from its hook on)', async () => {
    const app = await NestFactory.create<NestFastifyApplication>(
      ProbeModule,
      new FastifyAdapter(),
      {
        logger: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    const { port } = server.address() as { port: number };
    expect((await fetch(`http://127.0.0.1:${port}/live`)).status).toBe(200);
    HookProbe.server = server;

    await closeHttpThenApp(app);

    expect(HookProbe.listeningDuringHooks).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/live`)).rejects.toThrow();
  });
});
