import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, of, switchMap, type Observable } from 'rxjs';
import type { Principal } from '#src/auth/principal.js';
import { streamedBody } from '#src/common/http/body-parsing.js';
import { IDEMPOTENCY_KEY_HEADER } from '#src/idempotency/idempotency-key.js';
import { IdempotencyService } from '#src/idempotency/idempotency.service.js';

const API_PATH = '/api/v1/';

/**
 * Registered app-wide (APP_INTERCEPTOR): every POST under /api/v1 by an authenticated caller
 * that sends `Idempotency-Key` goes through IdempotencyService, with no code in the route.
 * An interceptor, because it runs after the access guard (the caller is known, and an
 * unauthenticated or forbidden request never claims a key) and before the validation pipe
 * and the handler (a replay executes neither).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    const caller = request.user;
    if (
      header === undefined ||
      request.method !== 'POST' ||
      caller === undefined ||
      !request.url.startsWith(API_PATH)
    ) {
      return next.handle();
    }
    const streamed = streamedBody(request) !== undefined;
    return from(this.idempotency.begin(request, caller, header, streamed)).pipe(
      // A replay: the handler does not run; onSend puts the stored answer in place of this.
      switchMap((outcome) => (outcome.kind === 'replay' ? of(null) : next.handle())),
    );
  }
}
