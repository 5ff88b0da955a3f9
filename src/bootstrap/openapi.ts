import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI from the controllers and DTOs: the UI at /docs, the JSON at /docs/json. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nest-at-scale')
    .setDescription(
      'Every error response has the shape ErrorBodyDto; every response carries x-request-id. ' +
        'Log in at POST /auth/login and send the access token as `Authorization: Bearer <token>`.',
    )
    .setVersion('1.0')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/json',
    yamlDocumentUrl: 'docs/yaml',
  });
}
