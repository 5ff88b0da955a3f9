import { BadRequestException } from '@nestjs/common';
import { createValidationPipe } from '../../common/validation.pipe.js';
import { ListProductsQuery } from './list-products.query.js';

/** The query as the app's validation pipe makes it, or the fields its 400 names. */
async function parse(query: Record<string, string>): Promise<ListProductsQuery | string[]> {
  try {
    return (await createValidationPipe().transform(query, {
      type: 'query',
      metatype: ListProductsQuery,
    })) as ListProductsQuery;
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    const { errors } = error.getResponse() as { errors: Array<{ field: string }> };
    return [...new Set(errors.map((e) => e.field))];
  }
}

describe('ListProductsQuery', () => {
  it('converts integers written in decimal, and fills the defaults', async () => {
    expect(await parse({ limit: '37', minPriceCents: '0', maxPriceCents: '2147483647' })).toEqual(
      Object.assign(new ListProductsQuery(), {
        limit: 37,
        minPriceCents: 0,
        maxPriceCents: 2147483647,
      }),
    );
    expect(await parse({})).toMatchObject({ limit: 20, sort: 'createdAt', order: 'desc' });
  });

  it.each([' ', '', '0x10', '1e1', '1.5', '16abc', '2147483648', '99999999999999999999'])(
    'refuses minPriceCents=%j, naming it',
    async (value) => {
      expect(await parse({ minPriceCents: value })).toEqual(['minPriceCents']);
    },
  );
});
