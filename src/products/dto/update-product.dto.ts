import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { CreateProductDto } from './create-product.dto.js';

export class UpdateProductDto extends PartialType(CreateProductDto) {
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
