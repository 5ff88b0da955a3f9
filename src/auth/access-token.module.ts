import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AccessTokenGuard } from './access-token.guard.js';

/** JWT signing/verification and the guard; imported by every feature that has protected routes. */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM public
        // key on every verify and throws; that failed parse was ~10% of an authenticated request's CPU.
        secret: createSecretKey(Buffer.from(config.JWT_SECRET)),
        signOptions: {
          algorithm: 'HS256',
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          expiresIn: config.JWT_ACCESS_TTL_S,
        },
      }),
    }),
  ],
  providers: [AccessTokenGuard],
  exports: [JwtModule, AccessTokenGuard],
})
export class AccessTokenModule {}
