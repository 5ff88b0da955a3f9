import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out, but not sent as null: unlike @IsOptional, which skips every check for
 * null as well, this validates null like any other value ("name must be a string"). For fields of NOT
 * NULL columns, where a null that passed validation became a 500 at the INSERT or UPDATE.
 */
export const Omittable = (): PropertyDecorator =>
  ValidateIf((_object: unknown, value: unknown) => value !== undefined);
