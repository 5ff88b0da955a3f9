import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { CreateProductDto } from './create-product.dto.js';

// skipNullProperties: false: a field may be left out, but null is validated (and refused), not skipped.
export class UpdateProductDto extends PartialType(CreateProductDto, { skipNullProperties: false }) {
  @ApiProperty({
    description: 'The version you read; the update is refused with 409 if it changed since',
    example: 1,
    minimum: 1,
    maximum: 2_147_483_647,
  })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647) // the column is a PostgreSQL integer
  version: number;
}
