import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '#src/identity/index.js';
import { Public } from '#src/platform/http/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  ResponseTeamContacts,
  UpdateResponseTeamRequest,
} from '#src/response/incidents/dto/response-team.dto.js';
import { ResponseTeamService } from '#src/response/incidents/response-team.service.js';

@ApiTags('Incidents')
@Controller('response-team')
export class ResponseTeamController {
  constructor(private readonly team: ResponseTeamService) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getResponseTeam',
    summary: 'How to reach the provincial incident response team (no token needed)',
    description: 'The Department’s contacts; may be up to 10 s old.',
  })
  @ApiOkResponse({ type: ResponseTeamContacts })
  @ApiProblemResponses(404)
  get(): Promise<ResponseTeamContacts> {
    return this.team.contacts();
  }

  @Put()
  @Roles('admin', 'responder')
  @ApiOperation({
    operationId: 'updateResponseTeam',
    summary: 'Change the response team’s phone, hotline or e-mail',
    description:
      'Only the fields sent change; `null` removes one. Phones: international (+84 …) or Vietnamese (0…, 1800/1900) numbers, grouped by spaces, dots or dashes.',
  })
  @ApiOkResponse({ type: ResponseTeamContacts })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Body() body: UpdateResponseTeamRequest,
  ): Promise<ResponseTeamContacts> {
    return this.team.update(caller, body);
  }
}
