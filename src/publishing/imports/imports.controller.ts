import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { StreamBody, streamedBody } from '#src/platform/http/index.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { httpProblem } from '#src/platform/problem/index.js';
import {
  ImportJobPage,
  ImportJobResponse,
  ImportOptions,
} from '#src/publishing/imports/dto/import.dto.js';
import { ImportsService } from '#src/publishing/imports/imports.service.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;

@ApiTags('Indicators')
@Controller('imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post()
  @HttpCode(202)
  @Roles('analyst')
  @StreamBody()
  @ApiOperation({
    operationId: 'createImport',
    summary: 'Bulk import of indicators (JSON, CSV or text, up to 1,000,000 rows)',
    description:
      'The body is streamed: JSON (an array of values or objects, or {"indicators": [...]}), CSV (RFC 4180 with a header row: value, type, valid_from, valid_until, tlp, confidence, tags separated by ";", source, description) or plain text (one value per line, type detected; # comments). The answer (202) comes once the body is read; the merge continues and GET /imports/{id} shows progress and the report. All or nothing: mode=reject fails the import on any bad row; mode=skip reports bad rows and keeps the others. Existing indicators are left as they are.',
  })
  @ApiConsumes('application/json', 'text/csv', 'text/plain')
  @ApiBody({
    schema: { type: 'string', example: 'malware-c2.example.com\n203.0.113.7\n2001:db8::/32\n' },
  })
  @ApiAcceptedResponse({ type: ImportJobResponse })
  @ApiProblemResponses(400, 413, 415, 429)
  start(
    @CurrentPrincipal() caller: Principal,
    @Req() request: FastifyRequest,
    @Headers('content-length') contentLength: string | undefined,
    @Query() options: ImportOptions,
  ): Promise<ImportJobResponse> {
    const body = streamedBody(request);
    if (!body) {
      throw httpProblem(415, 'Send the rows as application/json, text/csv or text/plain');
    }
    const length =
      contentLength !== undefined && /^\d+$/.test(contentLength)
        ? Number(contentLength)
        : undefined;
    return this.imports.start(caller, body.stream, body.contentType, length, options);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ operationId: 'listImports', summary: 'List imports, newest first' })
  @ApiOkResponse({ type: ImportJobPage })
  @ApiProblemResponses(400)
  list(@Query() query: PageQuery): Promise<ImportJobPage> {
    return this.imports.list(query);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'getImport', summary: 'An import’s progress and report' })
  @ApiOkResponse({ type: ImportJobResponse })
  @ApiProblemResponses(400, 404)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ImportJobResponse> {
    return this.imports.get(id);
  }
}
