import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { NotBlank } from '../../common/not-blank.js';
import { Omittable } from '../../common/omittable.js';

/** What a category may be, here and in CSV imports: usable as a `?category=` filter as it is. */
export const CATEGORY_PATTERN = /^[a-z0-9-]{1,60}$/;
export const CATEGORY_RULE = 'must be 1-60 lower-case letters, digits or dashes';

export class CreateProductDto {
  @ApiProperty({ maxLength: 200, example: 'Espresso cup' })
  @IsString()
  @Length(1, 200)
  @NotBlank()
  name: string;

  @ApiPropertyOptional({ maxLength: 5000, example: 'Porcelain, 80 ml' })
  @Omittable()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiProperty({ example: 'kitchen', pattern: '^[a-z0-9-]{1,60}$' })
  @Matches(CATEGORY_PATTERN, { message: `category ${CATEGORY_RULE}` })
  category: string;

  @ApiProperty({ minimum: 0, maximum: 100_000_000, example: 1299 })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  priceCents: number;

  @ApiPropertyOptional({ minimum: 0, example: 42 })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  stock?: number;
}
