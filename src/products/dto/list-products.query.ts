import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { QueryInt } from '../../common/query-int.js';
import { PG_INT_MAX } from '../../infra/database/pg-limits.js';
import { CATEGORY_PATTERN, CATEGORY_RULE } from './create-product.dto.js';

export const SORT_KEYS = ['createdAt', 'price', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const MAX_PAGE_SIZE = 100;

export class ListProductsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ enum: SORT_KEYS, default: 'createdAt' })
  @IsOptional()
  @IsIn(SORT_KEYS)
  sort: SortKey = 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';

  @ApiPropertyOptional({ example: 'kitchen' })
  @IsOptional()
  @Matches(CATEGORY_PATTERN, { message: `category ${CATEGORY_RULE}` })
  category?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: PG_INT_MAX, description: 'Cents, inclusive' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(PG_INT_MAX) // an integer column: past it the query would fail instead of matching nothing
  minPriceCents?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: PG_INT_MAX, description: 'Cents, inclusive' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(PG_INT_MAX) // an integer column: past it the query would fail instead of matching nothing
  maxPriceCents?: number;
}
