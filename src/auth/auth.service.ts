import { Injectable, UnauthorizedException } from '@nestjs/common';
import { ReplicaRouter } from '../infra/database/replica-router.js';
import { Outbox } from '../infra/queue/outbox.js';
import { WELCOME_JOB, type WelcomeJobData } from '../notifications/welcome-job.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto } from './dto/login.dto.js';
import type { RegisterDto } from './dto/register.dto.js';
import type { TokenPairDto } from './dto/token-pair.dto.js';
import { TokensService } from './tokens.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly router: ReplicaRouter,
    private readonly outbox: Outbox,
  ) {}

  /**
   * The welcome notification is written to the outbox in the registration's transaction: it is sent
   * (at least once, applied once) if and only if the account was created, even if this process dies
   * right after the commit.
   */
  register(input: RegisterDto): Promise<User> {
    return this.router.write(async (em) => {
      const user = await this.users.create(input, em);
      const welcome: WelcomeJobData = { userId: user.id };
      await this.outbox.add(em, WELCOME_JOB.queue, WELCOME_JOB.name, welcome);
      return user;
    });
  }

  async login(input: LoginDto): Promise<TokenPairDto> {
    const user = await this.users.findByEmailWithHash(input.email);
    // One message for both cases, and the hasher takes as long for an unknown e-mail: no account enumeration.
    if (!(await this.hasher.verify(user?.passwordHash, input.password)) || !user) {
      throw new UnauthorizedException('Invalid e-mail or password');
    }
    return this.tokens.issue({ id: user.id, role: user.role });
  }

  refresh(refreshToken: string): Promise<TokenPairDto> {
    return this.tokens.rotate(
      refreshToken,
      async (userId) => (await this.users.findOnPrimary(userId))?.role ?? null,
    );
  }

  logout(refreshToken: string): Promise<void> {
    return this.tokens.revoke(refreshToken);
  }
}
