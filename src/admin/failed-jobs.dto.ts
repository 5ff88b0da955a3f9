import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInt } from '../common/query-int.js';

export class FailedJobsQuery {
  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  offset: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class FailedJobDto {
  @ApiProperty({ example: '5f0c6f7e-8d5e-4a52-9f0e-2b1c4f3f2a10' }) id: string;
  @ApiProperty({ example: 'welcome' }) name: string;
  @ApiProperty({ type: Object }) data: unknown;
  @ApiProperty({ example: 'user 5f0c... no longer exists' }) failedReason: string;
  @ApiProperty({ example: 1 }) attemptsMade: number;
  @ApiProperty({ example: 5 }) attempts: number;
  @ApiProperty({ type: [String], description: 'Stack of the last failure, first lines' })
  stacktrace: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) failedAt: string | null;
}

export class FailedJobsPageDto {
  @ApiProperty({ example: 'notifications' }) queue: string;
  @ApiProperty({ description: 'Jobs in the failed (dead-letter) set' }) total: number;
  @ApiProperty({ type: [FailedJobDto] }) items: FailedJobDto[];
}
