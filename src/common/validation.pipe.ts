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
 * String fields PostgreSQL would refuse or silently change, with their paths: a NUL character (U+0000)
 * fails the INSERT ("invalid byte sequence for encoding UTF8: 0x00"), so any string field of any DTO
 * turned it into a 500; a lone UTF-16 surrogate (not well-formed Unicode) is stored as U+FFFD, so the
 * row no longer holds what the client sent.
 */
export function unstorableStrings(value: unknown, parent = '', depth = 0): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      return [{ field: parent, message: `${parent} must not contain NUL characters (\\u0000)` }];
    if (!value.isWellFormed())
      return [
        { field: parent, message: `${parent} must be well-formed Unicode (no lone surrogates)` },
      ];
    return [];
  }
  // Bodies are small and already parsed; the depth bound only guards against a pathological nesting.
  if (value === null || typeof value !== 'object' || depth > 8) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    unstorableStrings(child, parent ? `${parent}.${key}` : key, depth + 1),
  );
}

const validationFailed = (errors: FieldError[]) =>
  new BadRequestException({ error: 'Bad Request', message: 'Validation failed', errors });

/**
 * Nest's ValidationPipe (whitelist, reject unknown fields, convert query strings to the DTO's types)
 * that also refuses strings PostgreSQL cannot store as sent (see unstorableStrings), naming the field.
 */
class AppValidationPipe extends ValidationPipe {
  // Not async: on the hot read's path parameters it adds no promise of its own to super's.
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const unstorable = unstorableStrings(value);
      if (unstorable.length > 0) throw validationFailed(unstorable);
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
