import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { NotBlank } from '../../common/not-blank.js';
import { Omittable } from '../../common/omittable.js';
import { ROLES, type Role } from '../user.entity.js';

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Ada King' })
  @Omittable()
  @IsString()
  @Length(1, 100)
  @NotBlank()
  name?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @Omittable()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ minLength: 12, maxLength: 128 })
  @Omittable()
  @IsString()
  @Length(12, 128)
  password?: string;

  @ApiPropertyOptional({ enum: ROLES, description: 'Admins only' })
  @Omittable()
  @IsIn(ROLES)
  role?: Role;
}
