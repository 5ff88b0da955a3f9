import {
  ForbiddenException,
  HttpException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenGuard } from '../auth/access-token.guard.js';
import { toErrorBody } from '../common/http-error.filter.js';
import { JobQueues } from '../infra/queue/job-queues.js';

export const BOARD_PATH = '/admin/queues';
const COOKIE = 'nas_board_token';
// Reachable without a token: the page to paste one, and the endpoint that turns it into a cookie.
const PUBLIC_PATHS = new Set([`${BOARD_PATH}/login`, `${BOARD_PATH}/session`]);

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Queues: sign in</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Job queues</h1>
<p>Paste an admin access token (from <code>POST /auth/login</code>). It is kept in an HttpOnly cookie for
this page only, until the token expires.</p>
<form method="post" action="${BOARD_PATH}/session">
<textarea name="token" rows="6" cols="60" required></textarea><br>
<button type="submit">Open the board</button>
</form></body></html>`;

/**
 * Bull Board (the queue UI) at /admin/queues, for admins only. It is a Fastify plugin, outside Nest's
 * guards, so an onRequest hook in its own scope verifies the admin access token with the guard's own
 * verification (same secret, algorithm, issuer, audience). Browsers cannot send a bearer header when
 * navigating, so the token can also come from an HttpOnly, SameSite=Strict cookie scoped to this path,
 * set by POST /admin/queues/session; SameSite=Strict also keeps other sites from driving the board's
 * actions (retry, clean) with it.
 */
@Injectable()
export class BullBoardMount {
  constructor(
    private readonly queues: JobQueues,
    private readonly guard: AccessTokenGuard,
  ) {}

  /** Called by createHttpApp before Nest initialises (see MultipartSupport for why). */
  async registerOn(app: NestFastifyApplication): Promise<void> {
    const board = new BullBoardFastifyAdapter();
    board.setBasePath(BOARD_PATH);
    createBullBoard({
      queues: this.queues.names().map((name) => new BullMQAdapter(this.queues.get(name))),
      // @bull-board/fastify pins its own copy of @bull-board/api's types (same shape, another version).
      serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'nest-at-scale' } },
    });
    await app.register(
      async (scope: FastifyInstance) => {
        // The sign-in form posts urlencoded; Nest's adapter usually parses that already.
        if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
          scope.addContentTypeParser(
            'application/x-www-form-urlencoded',
            { parseAs: 'string', bodyLimit: 16_384 },
            (_request, body, done) =>
              done(null, Object.fromEntries(new URLSearchParams(String(body)))),
          );
        }
        scope.addHook('onRequest', (request, reply) => this.authorize(request, reply));
        scope.get('/login', (_request, reply) =>
          reply.type('text/html; charset=utf-8').send(LOGIN_PAGE),
        );
        scope.post('/session', (request, reply) => this.startSession(request, reply));
        scope.post('/logout', (request, reply) =>
          reply.header('set-cookie', cookie(request, '', 0)).redirect(`${BOARD_PATH}/login`, 303),
        );
        await scope.register(board.registerPlugin());
      },
      { prefix: BOARD_PATH },
    );
  }

  private async authorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (PUBLIC_PATHS.has(request.url.split('?', 1)[0])) return;
    const token = bearer(request.headers.authorization) ?? readCookie(request.headers.cookie);
    try {
      if (!token) throw new UnauthorizedException('Missing bearer token');
      const actor = await this.guard.verifyToken(token);
      if (actor.role !== 'admin') throw new ForbiddenException('Requires role: admin');
    } catch (error) {
      const wantsPage = request.method === 'GET' && /text\/html/.test(request.headers.accept ?? '');
      if (wantsPage && error instanceof UnauthorizedException) {
        await reply.redirect(`${BOARD_PATH}/login`, 303);
        return;
      }
      const body = toErrorBody(error as HttpException, String(request.id));
      await reply.status(body.statusCode).send(body);
    }
  }

  private async startSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const body = (request.body ?? {}) as { token?: unknown; accessToken?: unknown };
    const token =
      bearer(request.headers.authorization) ??
      (typeof body.token === 'string' ? body.token.trim() : undefined) ??
      (typeof body.accessToken === 'string' ? body.accessToken.trim() : undefined);
    try {
      if (!token) throw new UnauthorizedException('Missing bearer token');
      const actor = await this.guard.verifyToken(token);
      if (actor.role !== 'admin') throw new ForbiddenException('Requires role: admin');
      const maxAge = Math.max(0, actor.expiresAt - Math.floor(Date.now() / 1000));
      await reply
        .header('set-cookie', cookie(request, token, maxAge))
        .redirect(`${BOARD_PATH}/`, 303);
    } catch (error) {
      const errorBody = toErrorBody(error as HttpException, String(request.id));
      await reply.status(errorBody.statusCode).send(errorBody);
    }
  }
}

function bearer(header: string | undefined): string | undefined {
  const [scheme, token] = (header ?? '').split(' ');
  return scheme === 'Bearer' && token ? token : undefined;
}

function readCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function cookie(request: FastifyRequest, token: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${COOKIE}=${encodeURIComponent(token)}; Path=${BOARD_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}
