import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { PG_INT_MAX } from '../../infra/database/pg-limits.js';
import { CreateProductDto } from './create-product.dto.js';

// skipNullProperties: false: a field may be left out, but null is validated (and refused), not skipped.
export class UpdateProductDto extends PartialType(CreateProductDto, { skipNullProperties: false }) {
  @ApiProperty({
    description: 'The version you read; the update is refused with 409 if it changed since',
    example: 1,
    minimum: 1,
    maximum: PG_INT_MAX,
  })
  @IsInt()
  @Min(1)
  @Max(PG_INT_MAX) // the column is a PostgreSQL integer
  version: number;
}
