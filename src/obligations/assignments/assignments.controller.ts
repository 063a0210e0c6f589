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
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AssignmentsService } from '#src/obligations/assignments/assignments.service.js';
import { AssignmentSummary } from '#src/obligations/assignments/dto/assignment-state.dto.js';
import {
  AssignmentDetail,
  AssignmentListQuery,
  AssignmentPage,
  AssignmentResponse,
  ConfirmationResponse,
  CreateConfirmation,
} from '#src/obligations/assignments/dto/assignment.dto.js';
import { Roles, CurrentPrincipal, type Principal } from '#src/identity/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';

const READERS = ['admin', 'analyst', 'approver', 'auditor', 'isp_operator', 'isp_client'] as const;

@ApiTags('Assignments')
// The schema of a blocking request's `assignments` (publishing refers to it by name).
@ApiExtraModels(AssignmentSummary)
@Controller('assignments')
export class AssignmentsController {
  constructor(private readonly assignments: AssignmentsService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'listAssignments',
    summary: 'Assignments: what each ISP must apply, by when',
    description:
      'Newest first, by pages. An ISP sees only its own; the Department and auditors see all (`organizationId` to narrow). `overdue` is computed at the time of the call: pending or acknowledged, and past the deadline.',
  })
  @ApiOkResponse({ type: AssignmentPage })
  @ApiProblemResponses(400)
  list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: AssignmentListQuery,
  ): Promise<AssignmentPage> {
    return this.assignments.list(caller, query);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({
    operationId: 'getAssignment',
    summary: 'One assignment: its request, its items with their latest outcome, every confirmation',
  })
  @ApiOkResponse({ type: AssignmentDetail })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<AssignmentDetail> {
    return this.assignments.get(caller, id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles('isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'acknowledgeAssignment',
    summary: 'Acknowledge receipt (pending → acknowledged)',
    description:
      'Acknowledging an acknowledged assignment answers its current state and changes nothing. 409 once it is closed (applied, partially applied, rejected) or withdrawn.',
  })
  @ApiOkResponse({ type: AssignmentResponse })
  @ApiProblemResponses(400, 404, 409)
  acknowledge(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<AssignmentResponse> {
    return this.assignments.acknowledge(caller, id);
  }

  @Post(':id/confirmations')
  @Roles('isp_operator', 'isp_client')
  @ApiOperation({
    operationId: 'confirmAssignment',
    summary: 'State what you applied (applied, partially_applied, rejected)',
    description:
      'Appends a confirmation; a correction is a new one, the history is kept. `reason` is required for rejected and partially_applied; `appliedAt` and `mechanism` unless rejected (`appliedAt` neither in the future nor before the publication). `items`: per-indicator outcomes, items of the request only, each once, a reason unless applied; `applied` with a failed item is refused. 422 names each rule broken; 409 when the request was withdrawn.',
  })
  @ApiCreatedResponse({
    type: ConfirmationResponse,
    headers: { Location: { description: 'The confirmation', schema: { type: 'string' } } },
  })
  @ApiProblemResponses(400, 404, 409, 415, 422)
  async confirm(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: CreateConfirmation,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConfirmationResponse> {
    const created = await this.assignments.confirm(caller, id, body);
    void reply.header('location', `/api/v1/assignments/${id}/confirmations/${created.id}`);
    return created;
  }

  @Get(':id/confirmations/:confirmationId')
  @Roles(...READERS)
  @ApiOperation({ operationId: 'getConfirmation', summary: 'One confirmation with its items' })
  @ApiOkResponse({ type: ConfirmationResponse })
  @ApiProblemResponses(400, 404)
  getConfirmation(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('confirmationId', ParseUUIDPipe) confirmationId: string,
  ): Promise<ConfirmationResponse> {
    return this.assignments.getConfirmation(caller, id, confirmationId);
  }
}
