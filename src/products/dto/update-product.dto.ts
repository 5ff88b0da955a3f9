import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsInt, Min } from 'class-validator';
import { CreateProductDto } from './create-product.dto.js';

export class UpdateProductDto extends PartialType(CreateProductDto) {
  @ApiProperty({
    description: 'The version you read; the update is refused with 409 if it changed since',
    example: 1,
  })
  @IsInt()
  @Min(1)
  version: number;
}
