import { Injectable, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { IdempotencyInterceptor } from '#src/platform/idempotency/idempotency.interceptor.js';
import { IdempotencyRepository } from '#src/platform/idempotency/idempotency.repository.js';
import { IdempotencyService } from '#src/platform/idempotency/idempotency.service.js';

/** The Fastify side: app.factory.ts installs it, like the conditional poll. */
@Injectable()
export class IdempotencyHooks {
  constructor(private readonly idempotency: IdempotencyService) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onSend', (request, reply, payload) =>
      this.idempotency.onSend(request, reply, payload),
    );
    fastify.addHook('onResponse', (request) => this.idempotency.onResponse(request));
  }
}

@Module({
  providers: [
    IdempotencyRepository,
    IdempotencyService,
    IdempotencyHooks,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [IdempotencyService, IdempotencyHooks],
})
export class IdempotencyModule {}
