import {
  Controller,
  Get,
  HttpStatus,
  Injectable,
  Param,
  Query,
  Res,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ContentObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RolesOrBasic, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { httpProblem } from '#src/platform/problem/index.js';
import type { RawQuery } from '#src/feeds/taxii/taxii-filter.js';
import { acceptsTaxii, TAXII_MEDIA_TYPE } from '#src/feeds/taxii/taxii-media.js';
import { TaxiiService, type TaxiiAnswer } from '#src/feeds/taxii/taxii.service.js';

/** 406 unless the client accepts the TAXII 2.1 media type (TAXII 2.1 §3, content negotiation). */
@Injectable()
export class TaxiiAcceptGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const accept = context.switchToHttp().getRequest<FastifyRequest>().headers.accept;
    if (acceptsTaxii(accept)) return true;
    throw httpProblem(
      HttpStatus.NOT_ACCEPTABLE,
      `This server answers ${TAXII_MEDIA_TYPE}; the request accepts only ${accept ?? ''}`,
    );
  }
}

function send(reply: FastifyReply, answer: TaxiiAnswer): void {
  if (answer.dateAddedFirst) void reply.header('x-taxii-date-added-first', answer.dateAddedFirst);
  if (answer.dateAddedLast) void reply.header('x-taxii-date-added-last', answer.dateAddedLast);
  void reply
    .header('content-type', TAXII_MEDIA_TYPE)
    .header('cache-control', 'private, no-cache')
    // A Buffer, so that Fastify sends the media type exactly as set (no charset rewrite).
    .send(Buffer.from(answer.body));
}

const TAXII_JSON = { [TAXII_MEDIA_TYPE]: { schema: { type: 'object' } } } as const;
const TAXII_ERROR: ContentObject = {
  [TAXII_MEDIA_TYPE]: {
    schema: {
      type: 'object',
      required: ['title'],
      properties: {
        title: { type: 'string' },
        description: { type: 'string' },
        error_id: { type: 'string' },
        error_code: { type: 'string' },
        http_status: { type: 'string' },
      },
    },
  },
};

/**
 * TAXII 2.1 (OASIS Standard, 10 June 2021), read side: discovery, the API root, one read-only
 * collection per ISP with objects, manifest, an object and its versions. Every answer, errors
 * included, is `application/taxii+json;version=2.1`. Each handler names the section it
 * implements.
 */
@ApiTags('TAXII 2.1')
@Controller('taxii2')
@RolesOrBasic('isp_client', 'isp_operator')
@UseGuards(TaxiiAcceptGuard)
@ApiProduces(TAXII_MEDIA_TYPE)
@ApiResponse({ status: 400, description: 'A filter parameter is malformed', content: TAXII_ERROR })
@ApiResponse({ status: 401, description: 'No or bad credentials', content: TAXII_ERROR })
@ApiResponse({ status: 403, description: 'Not an ISP role', content: TAXII_ERROR })
@ApiResponse({ status: 404, description: 'Not found, or not yours', content: TAXII_ERROR })
@ApiResponse({ status: 406, description: 'Accept excludes TAXII 2.1', content: TAXII_ERROR })
export class TaxiiController {
  constructor(private readonly taxii: TaxiiService) {}

  /** TAXII 2.1 §4.1 Server Discovery. */
  @Get('/')
  @ApiOperation({ operationId: 'taxiiDiscovery', summary: 'TAXII 2.1 §4.1 Server Discovery' })
  @ApiOkResponse({ content: TAXII_JSON })
  discovery(@Res() reply: FastifyReply): void {
    send(reply, this.taxii.discovery());
  }

  /** TAXII 2.1 §4.2 Get API Root Information. */
  @Get('feeds/')
  @ApiOperation({ operationId: 'taxiiApiRoot', summary: 'TAXII 2.1 §4.2 Get API Root Information' })
  @ApiOkResponse({ content: TAXII_JSON })
  apiRoot(@Res() reply: FastifyReply): void {
    send(reply, this.taxii.apiRoot());
  }

  /** TAXII 2.1 §5.1 Get Collections. */
  @Get('feeds/collections/')
  @ApiOperation({ operationId: 'taxiiCollections', summary: 'TAXII 2.1 §5.1 Get Collections' })
  @ApiOkResponse({ content: TAXII_JSON })
  async collections(@CurrentPrincipal() caller: Principal, @Res() reply: FastifyReply) {
    send(reply, await this.taxii.collections(caller));
  }

  /** TAXII 2.1 §5.2 Get a Collection. */
  @Get('feeds/collections/:collectionId/')
  @ApiOperation({ operationId: 'taxiiCollection', summary: 'TAXII 2.1 §5.2 Get a Collection' })
  @ApiParam({ name: 'collectionId', description: 'Your organization id' })
  @ApiOkResponse({ content: TAXII_JSON })
  async collection(
    @CurrentPrincipal() caller: Principal,
    @Param('collectionId') collectionId: string,
    @Res() reply: FastifyReply,
  ) {
    send(reply, await this.taxii.collection(caller, collectionId));
  }

  /** TAXII 2.1 §5.3 Get Object Manifests. */
  @Get('feeds/collections/:collectionId/manifest/')
  @ApiOperation({ operationId: 'taxiiManifest', summary: 'TAXII 2.1 §5.3 Get Object Manifests' })
  @ApiOkResponse({ content: TAXII_JSON })
  async manifest(
    @CurrentPrincipal() caller: Principal,
    @Param('collectionId') collectionId: string,
    @Query() query: RawQuery,
    @Res() reply: FastifyReply,
  ) {
    send(reply, await this.taxii.manifest(caller, collectionId, query));
  }

  /** TAXII 2.1 §5.4 Get Objects. */
  @Get('feeds/collections/:collectionId/objects/')
  @ApiOperation({
    operationId: 'taxiiObjects',
    summary: 'TAXII 2.1 §5.4 Get Objects',
    description:
      'Filters: added_after, limit, next, match[id], match[type], match[version] (last by default; first, all or timestamps), match[spec_version].',
  })
  @ApiOkResponse({ content: TAXII_JSON })
  async objects(
    @CurrentPrincipal() caller: Principal,
    @Param('collectionId') collectionId: string,
    @Query() query: RawQuery,
    @Res() reply: FastifyReply,
  ) {
    send(reply, await this.taxii.objects(caller, collectionId, query));
  }

  /** TAXII 2.1 §5.6 Get an Object. */
  @Get('feeds/collections/:collectionId/objects/:objectId/')
  @ApiOperation({ operationId: 'taxiiObject', summary: 'TAXII 2.1 §5.6 Get an Object' })
  @ApiOkResponse({ content: TAXII_JSON })
  async object(
    @CurrentPrincipal() caller: Principal,
    @Param('collectionId') collectionId: string,
    @Param('objectId') objectId: string,
    @Query() query: RawQuery,
    @Res() reply: FastifyReply,
  ) {
    send(reply, await this.taxii.object(caller, collectionId, objectId, query));
  }

  /** TAXII 2.1 §5.8 Get Object Versions. */
  @Get('feeds/collections/:collectionId/objects/:objectId/versions/')
  @ApiOperation({ operationId: 'taxiiVersions', summary: 'TAXII 2.1 §5.8 Get Object Versions' })
  @ApiOkResponse({ content: TAXII_JSON })
  async versions(
    @CurrentPrincipal() caller: Principal,
    @Param('collectionId') collectionId: string,
    @Param('objectId') objectId: string,
    @Query() query: RawQuery,
    @Res() reply: FastifyReply,
  ) {
    send(reply, await this.taxii.versions(caller, collectionId, objectId, query));
  }
}
