import { createSecretKey } from 'node:crypto';
import { UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { AppConfig } from '../config/config.js';
import { AccessTokenGuard } from './access-token.guard.js';

const config = { JWT_ISSUER: 'nest-at-scale', JWT_AUDIENCE: 'api' } as AppConfig;

function setup() {
  const jwt = new JwtService({
    secret: createSecretKey(Buffer.from('a-test-secret-of-32-characters!!')),
    signOptions: { algorithm: 'HS256', issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  });
  const verify = jest.spyOn(jwt, 'verifyAsync');
  const guard = new AccessTokenGuard(jwt, new Reflector(), config);
  const sign = (expiresIn: number) => jwt.sign({ sub: 'user-1', role: 'admin' }, { expiresIn });
  return { guard, verify, sign };
}

describe('AccessTokenGuard.verifyToken', () => {
  afterEach(() => jest.restoreAllMocks());

  it('verifies a token once, then answers from the cache with the same claims', async () => {
    const { guard, verify, sign } = setup();
    const token = sign(60);
    const first = await guard.verifyToken(token);
    const second = await guard.verifyToken(token);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ id: 'user-1', role: 'admin' });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('refuses a cached token once it has expired, as verifying it again would', async () => {
    const { guard, sign } = setup();
    const token = sign(2);
    const { expiresAt } = await guard.verifyToken(token);
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt * 1000);
    await expect(guard.verifyToken(token)).rejects.toBeInstanceOf(UnauthorizedException);
  });

  it('refuses a token whose signature was changed, though the original is cached', async () => {
    const { guard, sign } = setup();
    const token = sign(60);
    await guard.verifyToken(token);
    const [header, payload, signature] = token.split('.');
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    await expect(guard.verifyToken(`${header}.${payload}.${flipped}`)).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
  });

  it('never keeps a refused token: each try is verified again', async () => {
    const { guard, verify } = setup();
    for (let i = 0; i < 2; i++) {
      await expect(guard.verifyToken('not.a.token')).rejects.toBeInstanceOf(UnauthorizedException);
    }
    expect(verify).toHaveBeenCalledTimes(2);
  });
});
