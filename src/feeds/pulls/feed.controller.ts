import { Controller, Get, Headers, HttpStatus, Param, Query, Res } from '@nestjs/common';
import { notFound } from '#src/platform/problem/index.js';
import { clientGone } from '#src/platform/http/index.js';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import {
  ChangesQuery,
  ChangesResponse,
  FeedStatusResponse,
} from '#src/feeds/pulls/dto/feed.dto.js';
import { FeedService } from '#src/feeds/pulls/feed.service.js';
import { SNAPSHOT_FORMATS, type SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import { snapshotResponseContent } from '#src/feeds/snapshots/formats/snapshot-formats.js';
import { parseTypes, SnapshotService } from '#src/feeds/snapshots/snapshot.service.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

@ApiTags('Feeds')
@Controller('feed')
export class FeedController {
  constructor(
    private readonly feed: FeedService,
    private readonly snapshots: SnapshotService,
  ) {}

  @Get('changes')
  @Roles('isp_client', 'isp_operator')
  @ApiOperation({
    operationId: 'getFeedChanges',
    summary: 'Your feed’s changes after a version',
    description:
      'Changes (`add`/`remove`) in version order, only up to the committed version, so that no change is ever skipped: apply them, then ask again with `after=next` (at once while `more` is true). Send the ETag back in `If-None-Match`: while nothing changed the answer is 304. Long poll: with `wait=30`, an answer that would be empty (or 304) is held until a change of your feed commits (then answered at once) or for 30 s (then the same empty page or 304); a client that goes away is released. Held requests are limited per organization and per instance (429 with Retry-After); proxies must allow reads longer than the wait.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({ type: ChangesResponse, headers: { ETag: { schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Nothing changed since the ETag sent' })
  @ApiProblemResponses(400, 429)
  async changes(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ChangesQuery,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    const answer = await this.feed.changes(caller, query, ifNoneMatch, clientGone(reply));
    void reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
    if (answer.status === HttpStatus.NOT_MODIFIED) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    // The serialized body as hashed in the pull telemetry (a string with a JSON content type
    // is sent as it is).
    void reply.header('content-type', 'application/json; charset=utf-8');
    return answer.json;
  }

  @Get('snapshot.:format')
  @Roles('isp_client', 'isp_operator')
  @ApiOperation({
    operationId: 'getFeedSnapshot',
    summary: `Your whole active set, streamed (${SNAPSHOT_FORMATS.join(', ')})`,
    description:
      '`X-Feed-Version` is the version the snapshot is at: continue with `GET /feed/changes?after=` that version. Sorted by value; gzip with `Accept-Encoding: gzip`; `types=domain,ipv4,…` to filter. json: `{"version","generatedAt","indicators":[…]}`; ndjson: one object per line; csv: RFC 4180 with a header (type,value,tlp,version,valid_until,indicator_id); txt: one value per line after `#` comment lines; rpz: a DNS response policy zone (SOA serial = the version); stix: a STIX 2.1 bundle (identity, TLP 2.0 markings, indicators).',
  })
  @ApiParam({ name: 'format', enum: SNAPSHOT_FORMATS })
  @ApiQuery({
    name: 'types',
    required: false,
    example: 'domain,ipv4',
    description: 'Comma-separated; may be repeated',
  })
  @ApiOkResponse({
    description: 'The snapshot',
    headers: { 'X-Feed-Version': { schema: { type: 'integer' } } },
    content: snapshotResponseContent(),
  })
  @ApiProblemResponses(400, 404, 429)
  async snapshot(
    @CurrentPrincipal() caller: Principal,
    @Param('format') format: string,
    @Query('types') types: string | string[] | undefined,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const snapshot = await this.snapshots.open(
      caller,
      snapshotFormat(format),
      parseTypes(types),
      acceptEncoding,
    );
    void reply
      .header('content-type', snapshot.contentType)
      .header('x-feed-version', String(snapshot.version))
      .header('cache-control', 'private, no-cache')
      .header('vary', 'accept-encoding');
    if (snapshot.gzip) void reply.header('content-encoding', 'gzip');
    await reply.send(snapshot.body);
  }

  @Get('status')
  @Roles('admin', 'analyst', 'approver', 'auditor', 'isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'getFeedStatus',
    summary: 'Per ISP: the last pull, the version it holds, and what it still lacks',
    description:
      'The Department and authorities see every ISP. An ISP (its operators and API clients) sees the current feed version and only its own row: its last pull, the version it holds and the changes it still lacks; other ISPs never appear.',
  })
  @ApiOkResponse({ type: FeedStatusResponse })
  status(@CurrentPrincipal() caller: Principal): Promise<FeedStatusResponse> {
    return this.feed.status(caller);
  }
}

function snapshotFormat(format: string): SnapshotFormat {
  if (!(SNAPSHOT_FORMATS as readonly string[]).includes(format)) throw notFound('snapshot format');
  return format as SnapshotFormat;
}
