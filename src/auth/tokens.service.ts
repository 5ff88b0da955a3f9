import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Actor } from '../users/users.service.js';
import type { TokenPairDto } from './dto/token-pair.dto.js';
import { RefreshToken } from './refresh-token.entity.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Access tokens (JWT) and rotating refresh tokens with reuse detection. Refresh state lives on the primary. */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new token family, for a login. */
  async issue(actor: Actor): Promise<TokenPairDto> {
    return this.primary.transaction((em) => this.pair(em, actor, randomUUID()));
  }

  /**
   * Exchanges a refresh token for a new pair. A token that was already used means it leaked (or the
   * client raced itself): the whole family is revoked and both holders must log in again.
   */
  async rotate(
    token: string,
    currentRole: (userId: string) => Promise<Actor['role'] | null>,
  ): Promise<TokenPairDto> {
    const outcome = await this.primary.transaction(async (em) => {
      const stored = await em.findOne(RefreshToken, {
        where: { tokenHash: sha256(token) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!stored) return { error: 'Invalid refresh token' } as const;
      if (stored.revokedAt) {
        await this.revokeFamily(em, stored.familyId);
        return { error: 'Refresh token reuse detected; please log in again' } as const;
      }
      if (stored.expiresAt.getTime() <= Date.now())
        return { error: 'Refresh token expired' } as const;
      const role = await currentRole(stored.userId);
      if (!role) return { error: 'Invalid refresh token' } as const;
      stored.revokedAt = new Date();
      await em.save(stored);
      return { pair: await this.pair(em, { id: stored.userId, role }, stored.familyId) } as const;
    });
    // Thrown after the commit, so a detected reuse stays revoked.
    if ('error' in outcome) throw new UnauthorizedException(outcome.error);
    return outcome.pair;
  }

  /** Logs out the session the token belongs to; unknown tokens are ignored (nothing to reveal). */
  async revoke(token: string): Promise<void> {
    await this.primary.transaction(async (em) => {
      const stored = await em.findOneBy(RefreshToken, { tokenHash: sha256(token) });
      if (stored) await this.revokeFamily(em, stored.familyId);
    });
  }

  private async pair(em: EntityManager, actor: Actor, familyId: string): Promise<TokenPairDto> {
    const refreshToken = randomBytes(32).toString('base64url');
    await em.insert(RefreshToken, {
      tokenHash: sha256(refreshToken),
      familyId,
      userId: actor.id,
      expiresAt: new Date(Date.now() + this.config.JWT_REFRESH_TTL_S * 1000),
      revokedAt: null,
    });
    const accessToken = await this.jwt.signAsync({ sub: actor.id, role: actor.role });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.JWT_ACCESS_TTL_S,
    };
  }

  private async revokeFamily(em: EntityManager, familyId: string): Promise<void> {
    await em.update(RefreshToken, { familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}
