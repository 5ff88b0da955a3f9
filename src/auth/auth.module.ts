import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenModule } from './access-token.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RefreshToken } from './refresh-token.entity.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([RefreshToken]), UsersModule, AccessTokenModule],
  controllers: [AuthController],
  providers: [AuthService, TokensService],
  // AppModule registers AccessTokenGuard as the first global guard.
  exports: [AccessTokenModule],
})
export class AuthModule {}
