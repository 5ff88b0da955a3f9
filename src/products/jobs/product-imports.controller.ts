import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentUser } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/api-errors.decorator.js';
import { UuidParam } from '../../common/uuid-param.js';
import type { Actor } from '../../users/users.service.js';
import { ImportAcceptedDto, ImportStatusDto } from './product-import.dto.js';
import { ProductImportsService } from './product-imports.service.js';

@ApiTags('products')
@Controller('products/imports')
export class ProductImportsController {
  constructor(private readonly imports: ProductImportsService) {}

  /**
   * Upload a CSV (header: sku,name,category,price_cents[,description][,stock]); products are upserted by
   * sku in the background. Poll the returned location for progress, counts and per-line errors.
   */
  @Post()
  @HttpCode(202)
  @Auth('admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiAcceptedResponse({ type: ImportAcceptedDto })
  @ApiErrors(400, 413, 415, 503)
  accept(@Req() request: FastifyRequest, @CurrentUser() actor: Actor): Promise<ImportAcceptedDto> {
    return this.imports.accept(request, actor.id);
  }

  @Get(':id')
  @Auth('admin')
  @ApiOkResponse({ type: ImportStatusDto })
  @ApiErrors(400, 404)
  status(@UuidParam('id') id: string): Promise<ImportStatusDto> {
    return this.imports.status(id);
  }
}
