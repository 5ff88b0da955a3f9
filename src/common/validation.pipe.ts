import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';

type FieldError = { field: string; message: string };

/** Flattens class-validator's tree into `[{ field: 'address.city', message }]`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Fields whose string value holds a NUL character (U+0000), with their paths. PostgreSQL cannot store
 * NUL in text ("invalid byte sequence for encoding UTF8: 0x00"), so without this check any string
 * field of any DTO would turn such a value into a 500 at the INSERT.
 */
export function fieldsWithNul(value: unknown, parent = '', depth = 0): FieldError[] {
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? [{ field: parent, message: `${parent} must not contain NUL characters (\\u0000)` }]
      : [];
  }
  // Bodies are small and already parsed; the depth bound only guards against a pathological nesting.
  if (value === null || typeof value !== 'object' || depth > 8) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    fieldsWithNul(child, parent ? `${parent}.${key}` : key, depth + 1),
  );
}

const validationFailed = (errors: FieldError[]) =>
  new BadRequestException({ error: 'Bad Request', message: 'Validation failed', errors });

/**
 * Nest's ValidationPipe (whitelist, reject unknown fields, convert query strings to the DTO's types)
 * that also refuses NUL characters in any string of a body or query, naming the field.
 */
class AppValidationPipe extends ValidationPipe {
  // Not async: on the hot read's path parameters it adds no promise of its own to super's.
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const nul = fieldsWithNul(value);
      if (nul.length > 0) throw validationFailed(nul);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
