import { Transform } from 'class-transformer';

const DECIMAL_INTEGER = /^-?\d{1,15}$/;

/**
 * A query-string integer, converted only when it is written as one: `@Type(() => Number)` also turned
 * " " into 0, "0x10" into 16 and "1e1" into 10. Anything else stays a string, so @IsInt refuses it
 * with the field's name.
 */
export const QueryInt = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value,
  );
