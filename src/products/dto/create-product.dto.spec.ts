import { BadRequestException } from '@nestjs/common';
import { createValidationPipe } from '../../common/validation.pipe.js';
import { CreateProductDto } from './create-product.dto.js';
import { UpdateProductDto } from './update-product.dto.js';

/** The fields the app's validation pipe names in its 400 for this body, or [] if it passes. */
async function invalidFields(metatype: new () => object, body: object): Promise<string[]> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype });
    return [];
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    const { errors } = error.getResponse() as { errors: Array<{ field: string }> };
    return [...new Set(errors.map((e) => e.field))].sort();
  }
}

const valid = { name: 'Cup', category: 'kitchen', priceCents: 100 };

describe('product request bodies', () => {
  it('accept a valid create and update', async () => {
    expect(await invalidFields(CreateProductDto, { ...valid, stock: 3, description: '' })).toEqual(
      [],
    );
    expect(await invalidFields(UpdateProductDto, { version: 1, name: 'Mug' })).toEqual([]);
  });

  it('refuse a blank name, which @Length(1, …) alone accepted', async () => {
    expect(await invalidFields(CreateProductDto, { ...valid, name: '   ' })).toEqual(['name']);
    expect(await invalidFields(UpdateProductDto, { version: 1, name: '\t' })).toEqual(['name']);
  });

  it('refuse null for a field that may only be left out (NOT NULL columns)', async () => {
    expect(await invalidFields(CreateProductDto, { ...valid, description: null })).toEqual([
      'description',
    ]);
    expect(await invalidFields(CreateProductDto, { ...valid, stock: null })).toEqual(['stock']);
    expect(await invalidFields(UpdateProductDto, { version: 1, priceCents: null })).toEqual([
      'priceCents',
    ]);
  });

  it('refuse a version past the integer column', async () => {
    expect(await invalidFields(UpdateProductDto, { version: 2_147_483_648 })).toEqual(['version']);
  });
});
