import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { StreamBody, streamedBody } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import { ATTACHMENT_TYPES } from '#src/response/incidents/attachment-content.js';
import {
  AssignIncidentRequest,
  AttachmentQuery,
  AttachmentResponse,
  CreateIncidentRequest,
  DraftRequestFromIncident,
  IncidentDetail,
  IncidentListQuery,
  IncidentMessageRequest,
  IncidentPage,
  LinkCaseRequest,
  ResolveIncidentRequest,
  VersionedIncidentAction,
} from '#src/response/incidents/dto/incident.dto.js';
import { IncidentsService } from '#src/response/incidents/incidents.service.js';

/** Who files reports (and provides information on their own). */
const REPORTERS = [
  'admin',
  'analyst',
  'approver',
  'responder',
  'isp_operator',
  'isp_client',
  'unit_officer',
] as const;
/** Who reads reports (ISPs and units: their own organization's). */
const READERS = [...REPORTERS, 'auditor'] as const;

const contentLengthOf = (header: string | undefined): number | undefined =>
  header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;

@ApiTags('Incidents')
@Controller('incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @Roles(...REPORTERS)
  @ApiOperation({
    operationId: 'createIncident',
    summary: 'File an incident report with the response team',
    description:
      'Status `new`; due resolved within the SLA of its severity (INCIDENT_SLA_<SEVERITY>_HOURS). Indicators are canonicalized as indicators are (a value that cannot be read is a 400 naming `indicators[i]`); duplicates are merged. The response team is told (webhook `incident.created` to the Department, mail to responders).',
  })
  @ApiCreatedResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateIncidentRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.create(caller, body);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listIncidents',
    summary: 'List incident reports (an ISP or a unit: its own)',
    description: 'Newest first, by pages.',
  })
  @ApiOkResponse({ type: IncidentPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: IncidentListQuery,
  ): Promise<IncidentPage> {
    return this.incidents.list(caller, query);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getIncident',
    summary: 'One incident report with its events and attachments (metadata)',
    description:
      'The response team’s internal notes are shown to the Department and authorities only.',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<IncidentDetail> {
    return this.incidents.get(caller, id);
  }

  @Post(':id/attachments')
  @Roles(...REPORTERS)
  @StreamBody({}, ATTACHMENT_TYPES)
  @ApiOperation({
    operationId: 'addIncidentAttachment',
    summary: 'Attach a file (log, capture, screenshot) to an incident report',
    description:
      'The body is the file, its type the Content-Type: text/plain, text/csv, application/json (UTF-8 text), application/pdf, image/png, image/jpeg, application/zip or application/vnd.tcpdump.pcap (checked against the content: 422 when it is something else). At most INCIDENT_ATTACHMENT_MAX_BYTES (413) and 10 per report (409). The reporting organization and responders may attach, until the report is closed.',
  })
  @ApiConsumes(...ATTACHMENT_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: AttachmentResponse })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422)
  addAttachment(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: AttachmentQuery,
    @Req() request: FastifyRequest,
    @Headers('content-length') contentLength: string | undefined,
  ): Promise<AttachmentResponse> {
    return this.incidents.addAttachment(
      caller,
      id,
      streamedBody(request),
      contentLengthOf(contentLength),
      query.filename,
    );
  }

  @Get(':id/attachments/:attachmentId')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getIncidentAttachment',
    summary: 'Download an attachment',
    description:
      'As a download (`Content-Disposition: attachment`, the name as RFC 5987 `filename*`), with `X-Content-Type-Options: nosniff`; text types are served as text/plain.',
  })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({
    description: 'The file',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblemResponses(400, 404)
  async attachment(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('attachmentId', ParseUUIDPipe) attachmentId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const file = await this.incidents.attachment(caller, id, attachmentId);
    void reply.headers(file.headers);
    return file.content;
  }

  @Post(':id/assign')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'assignIncident',
    summary: 'Assign the report to a responder (new → triaged)',
    description: 'The assignee must be a responder of the Department (422 otherwise).',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409, 422)
  assign(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: AssignIncidentRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.assign(caller, id, body);
  }

  @Post(':id/request-information')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'requestIncidentInformation',
    summary: 'Ask the reporter for more information (→ awaiting_information)',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  requestInformation(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: IncidentMessageRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.requestInformation(caller, id, body);
  }

  @Post(':id/information')
  @HttpCode(200)
  @Roles(...REPORTERS)
  @ApiOperation({
    operationId: 'provideIncidentInformation',
    summary: 'The reporting organization adds information (awaiting_information → triaged)',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  provideInformation(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: IncidentMessageRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.provideInformation(caller, id, body);
  }

  @Post(':id/notes')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'addIncidentNote',
    summary: 'An internal note of the response team (not shown to ISPs and units)',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  note(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: IncidentMessageRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.note(caller, id, body);
  }

  @Post(':id/link-case')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({ operationId: 'linkIncidentCase', summary: 'Link the report to a unit’s case' })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409, 422, 503)
  linkCase(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: LinkCaseRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.linkCase(caller, id, body);
  }

  @Post(':id/draft-request')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({
    operationId: 'draftRequestFromIncident',
    summary: 'Turn the report’s indicators into a draft blocking request',
    description:
      'One step: a draft (document number: the report’s reference) whose items are the report’s network indicators, addressed to every ISP unless ISPs are named; analysts edit, submit and approvers publish it as any draft. 409 when the report has no network indicators or has a request already (its id in `blockingRequestId`).',
  })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  draftRequest(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: DraftRequestFromIncident,
  ): Promise<IncidentDetail> {
    return this.incidents.draftRequest(caller, id, body);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({ operationId: 'resolveIncident', summary: 'Resolve the report (→ resolved)' })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  resolve(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ResolveIncidentRequest,
  ): Promise<IncidentDetail> {
    return this.incidents.resolve(caller, id, body);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles('responder')
  @ApiOperation({ operationId: 'closeIncident', summary: 'Close a resolved report (→ closed)' })
  @ApiOkResponse({ type: IncidentDetail })
  @ApiProblemResponses(400, 404, 409)
  close(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: VersionedIncidentAction,
  ): Promise<IncidentDetail> {
    return this.incidents.close(caller, id, body);
  }
}
