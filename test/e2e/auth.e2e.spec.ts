import { createHmac } from 'node:crypto';
import { call, login, newUser } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Signs a JWT by hand, to try what a correct client never sends. */
function forge(header: object, claims: object, secret: string): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('auth and users', () => {
  let app: AppProcess;
  const secret = 'test-secret-of-at-least-thirty-two-chars!';
  beforeAll(async () => {
    app = await startApp(sharedStackEnv(), { env: { JWT_SECRET: secret, JWT_ACCESS_TTL_S: '60' } });
  });
  afterAll(() => app.stop());

  it('registers (201, no hash), refuses a duplicate e-mail in any case (409)', async () => {
    const email = `Mixed.${Date.now()}@Example.com`;
    const created = await call(app.url, 'POST', '/auth/register', {
      body: { email, password: 'a-long-enough-password', name: 'Mixed' },
    });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe(email.toLowerCase());
    expect(created.body.role).toBe('user');
    expect(JSON.stringify(created.body)).not.toMatch(/password|argon2/i);
    const duplicate = await call(app.url, 'POST', '/auth/register', {
      body: { email: email.toUpperCase(), password: 'a-long-enough-password', name: 'Again' },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      requestId: expect.any(String),
    });
  });

  it('logs in with the right password only, with one message for both failures', async () => {
    const user = await newUser(app.url);
    expect(user.accessToken.split('.')).toHaveLength(3);
    const wrong = await call(app.url, 'POST', '/auth/login', {
      body: { email: user.email, password: 'wrong-password!' },
    });
    const unknown = await call(app.url, 'POST', '/auth/login', {
      body: { email: 'nobody@example.com', password: 'whatever-pass' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const user = await newUser(app.url);
    const first = await call(app.url, 'POST', '/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    const me = await call(app.url, 'GET', '/users/me', { token: first.body.accessToken });
    expect(me.status).toBe(200);

    const reuse = await call(app.url, 'POST', '/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
    expect(reuse.status).toBe(401);
    expect(reuse.body.message).toMatch(/reuse detected/);
    // The thief's (or the client's) newer token died with the family.
    const afterReuse = await call(app.url, 'POST', '/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(afterReuse.status).toBe(401);
  });

  it('logout revokes the session', async () => {
    const user = await newUser(app.url);
    expect(
      (await call(app.url, 'POST', '/auth/logout', { body: { refreshToken: user.refreshToken } }))
        .status,
    ).toBe(204);
    expect(
      (await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } }))
        .status,
    ).toBe(401);
  });

  it('refuses tokens that are unsigned, expired, for another audience or issuer, or signed with another key', async () => {
    const user = await newUser(app.url);
    const now = Math.floor(Date.now() / 1000);
    const good = {
      sub: user.id,
      role: 'admin',
      iss: 'nest-at-scale',
      aud: 'nest-at-scale-api',
      iat: now,
      exp: now + 60,
    };
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.`;
    const tokens = [
      unsigned,
      forge({ alg: 'HS256', typ: 'JWT' }, { ...good, exp: now - 10 }, secret),
      forge({ alg: 'HS256', typ: 'JWT' }, { ...good, aud: 'someone-else' }, secret),
      forge({ alg: 'HS256', typ: 'JWT' }, { ...good, iss: 'evil' }, secret),
      forge({ alg: 'HS256', typ: 'JWT' }, good, 'another-secret-another-secret-another'),
    ];
    for (const token of tokens) {
      const response = await call(app.url, 'GET', '/users/me', { token });
      expect(response.status).toBe(401);
    }
    // The control: the same claims signed correctly are accepted, so the refusals above are not accidental.
    const valid = forge({ alg: 'HS256', typ: 'JWT' }, { ...good, role: 'user' }, secret);
    expect((await call(app.url, 'GET', '/users/me', { token: valid })).status).toBe(200);
    expect((await call(app.url, 'GET', '/users/me')).status).toBe(401);
  });

  it('lets a user read and change only their own account; an admin any', async () => {
    const alice = await newUser(app.url);
    const bob = await newUser(app.url);
    expect(
      (await call(app.url, 'GET', `/users/${bob.id}`, { token: alice.accessToken })).status,
    ).toBe(403);
    expect(
      (
        await call(app.url, 'PATCH', `/users/${bob.id}`, {
          token: alice.accessToken,
          body: { name: 'x' },
        })
      ).status,
    ).toBe(403);
    const renamed = await call(app.url, 'PATCH', `/users/${alice.id}`, {
      token: alice.accessToken,
      body: { name: 'Alice' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Alice');
    const promote = await call(app.url, 'PATCH', `/users/${alice.id}`, {
      token: alice.accessToken,
      body: { role: 'admin' },
    });
    expect(promote.status).toBe(403);

    const admin = await login(app.url, 'admin@example.com', 'admin-password-for-tests');
    expect(
      (await call(app.url, 'GET', `/users/${bob.id}`, { token: admin.accessToken })).status,
    ).toBe(200);
    const missing = await call(app.url, 'GET', '/users/00000000-0000-4000-8000-000000000000', {
      token: admin.accessToken,
    });
    expect(missing.status).toBe(404);

    expect(
      (await call(app.url, 'DELETE', `/users/${bob.id}`, { token: bob.accessToken })).status,
    ).toBe(204);
    expect((await call(app.url, 'GET', '/users/me', { token: bob.accessToken })).status).toBe(404);
    // Deleting the user took their sessions with it.
    expect(
      (await call(app.url, 'POST', '/auth/refresh', { body: { refreshToken: bob.refreshToken } }))
        .status,
    ).toBe(401);
  });

  it('changes a password: the old one stops working', async () => {
    const user = await newUser(app.url);
    const changed = await call(app.url, 'PATCH', `/users/${user.id}`, {
      token: user.accessToken,
      body: { password: 'a-brand-new-password' },
    });
    expect(changed.status).toBe(200);
    expect(
      (
        await call(app.url, 'POST', '/auth/login', {
          body: { email: user.email, password: user.password },
        })
      ).status,
    ).toBe(401);
    await login(app.url, user.email, 'a-brand-new-password');
  });
});
