import { RouteConfig } from '@nestjs/platform-fastify';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { Public } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { CasesService } from '#src/response/cases/cases.service.js';
import {
  CaseDetail,
  CaseListQuery,
  CasePage,
  CaseResponse,
  ConnectionPage,
  ReportRemediation,
  VersionedCaseAction,
} from '#src/response/cases/dto/case.dto.js';
import {
  PublicList,
  PublishedList,
  PublishedListQuery,
} from '#src/response/cases/dto/published-list.dto.js';
import {
  PublishedListService,
  type ListAnswer,
} from '#src/response/cases/published-list.service.js';

const READERS = ['admin', 'analyst', 'approver', 'responder', 'auditor', 'unit_officer'] as const;
const ACTORS = ['unit_officer', 'responder'] as const;
const LIST_READERS = ['admin', 'analyst', 'approver', 'responder', 'auditor'] as const;

@ApiTags('Cases')
@Controller('cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listCases',
    summary: 'Cases of botnet connections, one active per unit (a unit officer: its own)',
    description:
      'Newest first, by pages; `status` and `unitId` narrow. Counts are distinct internal addresses and C2s; `overdue` is computed at the time of the call.',
  })
  @ApiOkResponse({ type: CasePage })
  @ApiProblemResponses(400)
  list(@CurrentPrincipal() caller: Principal, @Query() query: CaseListQuery): Promise<CasePage> {
    return this.cases.list(caller, query);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getCase',
    summary: 'One case: counts, the 500 most recently seen connections, its history',
    description:
      '`connectionsTruncated` says whether there are more connections: page them with `GET /cases/{id}/connections`. Another unit’s case is a 404.',
  })
  @ApiOkResponse({ type: CaseDetail })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CaseDetail> {
    return this.cases.get(caller, id);
  }

  @Get(':id/connections')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listCaseConnections',
    summary: 'A case’s connections (internal address × C2), most recently seen first, by pages',
  })
  @ApiOkResponse({ type: ConnectionPage })
  @ApiProblemResponses(400, 404)
  connections(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: PageQuery,
  ): Promise<ConnectionPage> {
    return this.cases.connections(caller, id, query);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles(...ACTORS)
  @ApiOperation({
    operationId: 'acknowledgeCase',
    summary: 'Acknowledge a case (open → acknowledged): the unit’s officer, or a responder',
    description:
      '`version` is the case’s as you read it (409 if it changed). Acknowledging an acknowledged case answers its current state and changes nothing; a remediated or closed case is a 409.',
  })
  @ApiOkResponse({ type: CaseResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  acknowledge(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: VersionedCaseAction,
  ): Promise<CaseResponse> {
    return this.cases.acknowledge(caller, id, body);
  }

  @Post(':id/remediation')
  @HttpCode(200)
  @Roles(...ACTORS)
  @ApiOperation({
    operationId: 'reportCaseRemediation',
    summary: 'Report remediation (open or acknowledged → remediated)',
    description:
      'What was done: a summary and 1–50 actions (`cleaned`, `patched`, `reimaged`, `isolated`, `credentials_reset`, `other`, each with an optional detail). The Department’s responders are told by e-mail. The case closes by itself once no new connection is seen for CASE_QUIET_PERIOD_HOURS; a connection seen after the report sends it back to acknowledged. 409 when the case is closed or remediated already, or `version` is stale.',
  })
  @ApiOkResponse({ type: CaseResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  remediate(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ReportRemediation,
  ): Promise<CaseResponse> {
    return this.cases.remediate(caller, id, body);
  }
}

/** JSON as it is; a file with its headers. */
function send(
  answer: ListAnswer,
  reply: FastifyReply,
): PublishedList | PublicList | string | Buffer {
  if (answer.kind === 'json') return answer.body;
  void reply.headers({
    'content-type': answer.contentType,
    'content-disposition': `attachment; filename="${answer.filename}"`,
    'cache-control': 'private, no-store',
  });
  return answer.body;
}

const FORMATS =
  '`format=json` (default): `{generatedAt, items, total, truncated}`; `csv`: RFC 4180 (UTF-8, CRLF, a header row in `lang`, `bom=true` for Excel, formula-inert text); `pdf`: a document in Vietnamese (`lang=vi`, default) or English, fonts embedded. At most 5,000 units (`truncated`). `since` is when the unit’s earliest connection of the case was seen.';

@ApiTags('Cases')
@Controller()
export class PublishedListController {
  constructor(private readonly list: PublishedListService) {}

  @Get('published/botnet-units')
  @Roles(...LIST_READERS)
  @ApiOperation({
    operationId: 'getPublishedBotnetUnits',
    summary: 'The published list: units with open botnet cases, with detail',
    description: `Each unit with an open (not closed) case: unit, code, infected addresses, C2s, since, last seen, status, deadline; most infected first. ${FORMATS} CSV and PDF exports are recorded in the audit trail (\`case.list_export\`, with the file's SHA-256).`,
  })
  @ApiExtraModels(PublishedList)
  @ApiProduces('application/json', 'text/csv', 'application/pdf')
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PublishedList) } },
      'text/csv': { schema: { type: 'string' } },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiProblemResponses(400)
  async authenticated(
    @CurrentPrincipal() caller: Principal,
    @Query() query: PublishedListQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PublishedList | PublicList | string | Buffer> {
    return send(await this.list.authenticated(caller, query), reply);
  }

  @Get('public/botnet-units')
  @Public()
  // Anonymous: counted against the per-address limit (AUTH_RATE_LIMIT_PER_MINUTE).
  @RouteConfig({ rateLimit: {} })
  @ApiOperation({
    operationId: 'getPublicBotnetUnits',
    summary: 'The public list: unit names and counts only (when PUBLISHED_LIST_ACCESS=public)',
    description: `Anyone may read it when the service is configured so (PUBLISHED_LIST_ACCESS=public); otherwise 404. Each unit with an open case: name, infected addresses, since, status. ${FORMATS}`,
  })
  @ApiExtraModels(PublicList)
  @ApiProduces('application/json', 'text/csv', 'application/pdf')
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PublicList) } },
      'text/csv': { schema: { type: 'string' } },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiProblemResponses(400, 404)
  async public(
    @Query() query: PublishedListQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PublishedList | PublicList | string | Buffer> {
    return send(await this.list.public(query), reply);
  }
}
