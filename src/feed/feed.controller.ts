import { Controller, Get, Headers, HttpStatus, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '#src/auth/access.decorators.js';
import { CurrentPrincipal } from '#src/auth/current-principal.decorator.js';
import type { Principal } from '#src/auth/principal.js';
import { ChangesQuery, ChangesResponse, FeedStatusResponse } from '#src/feed/dto/feed.dto.js';
import { FeedService } from '#src/feed/feed.service.js';
import { ApiProblemResponses } from '#src/openapi/problem.schema.js';

@ApiTags('Feeds')
@Controller('feed')
export class FeedController {
  constructor(private readonly feed: FeedService) {}

  @Get('changes')
  @Roles('isp_client', 'isp_operator')
  @ApiOperation({
    operationId: 'getFeedChanges',
    summary: 'Your feed’s changes after a version',
    description:
      'Changes (`add`/`remove`) in version order, only up to the committed version, so that no change is ever skipped: apply them, then ask again with `after=next` (at once while `more` is true). Send the ETag back in `If-None-Match`: while nothing changed the answer is 304.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({ type: ChangesResponse, headers: { ETag: { schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Nothing changed since the ETag sent' })
  @ApiProblemResponses(400)
  async changes(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ChangesQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChangesResponse | undefined> {
    const answer = await this.feed.changes(caller, query, ifNoneMatch);
    void reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
    if (answer.status === HttpStatus.NOT_MODIFIED) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return answer.body;
  }

  @Get('status')
  @Roles('admin', 'analyst', 'approver', 'auditor')
  @ApiOperation({
    operationId: 'getFeedStatus',
    summary: 'Per ISP: the last pull, the version it holds, and what it still lacks',
  })
  @ApiOkResponse({ type: FeedStatusResponse })
  status(): Promise<FeedStatusResponse> {
    return this.feed.status();
  }
}
