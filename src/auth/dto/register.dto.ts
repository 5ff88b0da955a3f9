import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { NotBlank } from '../../common/not-blank.js';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 12, maxLength: 128, example: 'correct horse battery staple' })
  @IsString()
  @Length(12, 128)
  password: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @NotBlank()
  name: string;
}
