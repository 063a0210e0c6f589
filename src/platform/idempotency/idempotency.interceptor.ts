import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, of, switchMap, type Observable } from 'rxjs';
import { streamedBody } from '#src/platform/http/index.js';
import { IDEMPOTENCY_KEY_HEADER } from '#src/platform/idempotency/idempotency-key.js';
import {
  IdempotencyService,
  type IdempotencyCaller,
} from '#src/platform/idempotency/idempotency.service.js';

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
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: IdempotencyCaller }>();
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
      switchMap((outcome) => {
        if (outcome.kind === 'execute') return next.handle();
        // A replay: the handler does not run; onSend puts the stored answer in place of what
        // is sent. A route that sends its own reply (@Res() without passthrough) would leave
        // the request unanswered, so the reply is sent here instead.
        if (sendsItsOwnReply(context)) {
          void context.switchToHttp().getResponse<FastifyReply>().send(null);
        }
        return of(null);
      }),
    );
  }
}

const HANDLED_BY_ROUTE: number[] = [RouteParamtypes.RESPONSE, RouteParamtypes.NEXT];

/** Whether Nest leaves the reply to the handler (as it decides in RouterExecutionContext). */
function sendsItsOwnReply(context: ExecutionContext): boolean {
  const target = context.getClass();
  const method = context.getHandler().name;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target, method) ?? {}) as Record<
    string,
    unknown
  >;
  const hasResponse = Object.keys(args).some((key) => {
    const type = Number(key.split(':')[0]);
    return HANDLED_BY_ROUTE.includes(type);
  });
  return hasResponse && Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, target, method) !== true;
}
