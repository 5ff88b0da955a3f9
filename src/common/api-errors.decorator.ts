import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ example: 'email must be an email' }) message: string;
}

/** The one error shape every 4xx/5xx response has (see HttpErrorFilter). */
export class ErrorBodyDto {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({ example: 'Validation failed' }) message: string;
  @ApiProperty({ type: [FieldErrorDto], required: false }) errors?: FieldErrorDto[];
  @ApiProperty({ example: '5f0c6f7e-8d5e-4a52-9f0e-2b1c4f3f2a10' }) requestId: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` lists each field and the reason',
  401: 'Missing, expired or invalid credentials',
  403: 'Authenticated, but not allowed',
  404: 'No such resource',
  409: 'Conflicts with the current state (duplicate, or a stale version)',
  413: 'Body larger than the limit',
  415: 'Wrong content type for this route',
  429: 'Rate limit exceeded; see Retry-After',
  503: 'A dependency is unavailable; retry later',
};

/** Documents the error responses a route can return, all with the ErrorBodyDto shape. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorBodyDto }),
    ),
  );
}
