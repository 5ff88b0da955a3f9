import { ApiProperty } from '@nestjs/swagger';
import type { ImportLineError, ImportStatus } from './product-import.entity.js';

export class ImportAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'queued' }) status: ImportStatus;
  @ApiProperty({ example: '/products/imports/5f0c6f7e-8d5e-4a52-9f0e-2b1c4f3f2a10' })
  location: string;
}

export class ImportLineErrorDto {
  @ApiProperty({ example: 42, description: 'Line number in the file (the header is line 1)' })
  line: number;
  @ApiProperty({ example: 'price_cents: must be a whole number of cents from 0 to 2147483647' })
  message: string;
}

export class ImportCountsDto {
  @ApiProperty({ description: 'Data lines handled so far (valid or not)' }) records: number;
  @ApiProperty() inserted: number;
  @ApiProperty() updated: number;
  @ApiProperty({ description: 'Existing sku with identical values' }) unchanged: number;
  @ApiProperty() invalid: number;
}

export class ImportStatusDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] }) status: ImportStatus;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'active',
    description:
      'The job in the queue: waiting, active, delayed (retry pending), completed, failed; null if Redis did not answer',
  })
  jobState: string | null;
  @ApiProperty({ example: 1, description: 'Attempts made so far' }) attempts: number;
  @ApiProperty({ example: 37, description: 'Percent of the file read' }) percent: number;
  @ApiProperty({ type: ImportCountsDto }) counts: ImportCountsDto;
  @ApiProperty({ type: [ImportLineErrorDto], description: 'The first invalid lines' })
  errors: ImportLineError[];
  @ApiProperty({ description: 'More lines were invalid than are listed' }) errorsTruncated: boolean;
  @ApiProperty({ nullable: true, type: String }) failureReason: string | null;
  @ApiProperty() fileName: string;
  @ApiProperty() sizeBytes: number;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt: string | null;
}
