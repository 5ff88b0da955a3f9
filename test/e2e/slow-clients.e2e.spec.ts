import { connect, type Socket } from 'node:net';
import { call } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
// Far past each timeout plus Node's check interval, far below what a server without them allows
// (Fastify turns Node's request timeout off; Node's header timeout is 60 s, checked every 30 s).
const CUT_WITHIN_MS = 10_000;

interface Held {
  socket: Socket;
  /** Resolves when the server closes the socket, with what it sent and how long it held on. */
  closed: Promise<{ received: string; heldMs: number }>;
}

function open(port: number): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<{ received: string; heldMs: number }>((done) =>
      socket.once('close', () => done({ received, heldMs: Date.now() - started })),
    );
    socket.on('error', () => undefined); // a reset after the 408 is the server closing, as expected
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Rejects if the server keeps the socket open past `ms`: the timeout under test did not fire. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * A client that sends its request slowly (slowloris) must not hold a connection, and the memory behind it,
 * for as long as it likes: headers and whole requests have deadlines, after which it gets 408 and the
 * socket is closed. Requests from other clients go on meanwhile.
 */
describe('slow clients', () => {
  let app: AppProcess;
  let port: number;
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), {
      env: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      },
    });
    port = Number(new URL(app.url).port);
  });
  afterAll(() => app.stop());

  it('headers sent a byte at a time are cut at the header deadline with 408', async () => {
    const held = await open(port);
    const request = 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Padding: ' + 'x'.repeat(500);
    let sent = 0;
    // Bytes keep coming (an idle timeout alone would never fire), but the headers never end.
    const trickle = setInterval(() => {
      if (sent < request.length && !held.socket.destroyed) held.socket.write(request[sent++]);
    }, 50);
    try {
      const { received, heldMs } = await within(held.closed, CUT_WITHIN_MS, 'trickled headers');
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(heldMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(sent).toBeLessThan(request.length); // cut while still sending, not after
    } finally {
      clearInterval(trickle);
      held.socket.destroy();
    }
  });

  it('a body that stops halfway is cut at the request deadline with 408, and others are served', async () => {
    const held = await open(port);
    held.socket.write(
      'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"email":"a@b.c",',
    );
    try {
      // The stalled request holds one socket, not the server: another client gets its answer.
      const live = await call(app.url, 'GET', '/health/live');
      expect(live.status).toBe(200);
      const { received, heldMs } = await within(held.closed, CUT_WITHIN_MS, 'stalled body');
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(heldMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    } finally {
      held.socket.destroy();
    }
  });

  it('a connection that never sends a byte is closed too', async () => {
    const held = await open(port);
    try {
      const { heldMs } = await within(held.closed, CUT_WITHIN_MS, 'silent connection');
      expect(heldMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    } finally {
      held.socket.destroy();
    }
  });

  it('a request that arrives in time is answered, over a slow but steady link', async () => {
    const held = await open(port);
    const request = 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
    // Spread over about half the header deadline.
    for (const chunk of request.match(/.{1,8}/gs)!) {
      held.socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, HEADERS_TIMEOUT_MS / 2 / 9));
    }
    const { received } = await within(held.closed, CUT_WITHIN_MS, 'steady request');
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('an idle keep-alive connection is not cut by the header deadline (keepAliveTimeout governs it)', async () => {
    const held = await open(port);
    const request = 'GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n';
    let received = '';
    held.socket.on('data', (chunk: string) => (received += chunk));
    try {
      held.socket.write(request);
      // Idle between requests for three header deadlines: a load balancer's pooled connection.
      await new Promise((resolve) => setTimeout(resolve, 3 * HEADERS_TIMEOUT_MS));
      expect(held.socket.destroyed).toBe(false);
      held.socket.write(request);
      await within(
        new Promise<void>((resolve) => {
          const check = () =>
            (received.match(/HTTP\/1\.1 200 /g) ?? []).length === 2 ? resolve() : undefined;
          held.socket.on('data', check);
          check();
        }),
        CUT_WITHIN_MS,
        'second response',
      );
    } finally {
      held.socket.destroy();
    }
  });
});
