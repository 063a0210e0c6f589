import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#src/identity/auth/access.decorators.js';
import { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { PageQuery } from '#src/platform/pagination/index.js';
import { ApiProblemResponses } from '#src/platform/openapi/index.js';
import {
  CreateUserRequest,
  PasswordResetResponse,
  ResetPasswordRequest,
  UpdateUserRequest,
  UserPage,
  UserResponse,
} from '#src/identity/users/dto/user.dto.js';
import { UsersService } from '#src/identity/users/users.service.js';

@ApiTags('Administration')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Roles('admin', 'auditor', 'isp_operator')
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'List users',
    description: 'Newest first, by pages. An ISP operator sees the people of their own ISP.',
  })
  @ApiOkResponse({ type: UserPage })
  @ApiProblemResponses(400)
  list(@CurrentPrincipal() caller: Principal, @Query() query: PageQuery): Promise<UserPage> {
    return this.users.list(caller, query);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ operationId: 'createUser', summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @CurrentPrincipal() caller: Principal,
    @Body() body: CreateUserRequest,
  ): Promise<UserResponse> {
    return this.users.create(caller, body);
  }

  @Get(':id')
  @Roles('admin', 'auditor', 'isp_operator')
  @ApiOperation({ operationId: 'getUser', summary: 'Get one user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponses(400, 404)
  get(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<UserResponse> {
    return this.users.get(caller, id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change a user’s name, roles, password or disabled flag',
    description:
      'Send the `version` you read; if it changed since, the answer is 409. A new password or ' +
      'disabling ends every session and access token of the user at once. A password set here ' +
      'does not have to be changed by the person; POST /users/{id}/reset-password makes them.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponses(400, 404, 409, 415)
  update(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateUserRequest,
  ): Promise<UserResponse> {
    return this.users.update(caller, id, body);
  }

  @Post(':id/reset-password')
  @Roles('admin')
  @Header('cache-control', 'no-store')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resetUserPassword',
    summary: 'Reset a user’s password; they must change it at their next login',
    description:
      'Sets the given temporary password, or generates one and answers it once. Clears a ' +
      'lockout and ends every session and access token of the user at once. Their next login ' +
      'succeeds with `passwordChangeRequired: true`, and their tokens allow only ' +
      'POST /auth/change-password until they have changed it.',
  })
  @ApiOkResponse({ type: PasswordResetResponse })
  @ApiProblemResponses(400, 404, 413, 415)
  resetPassword(
    @CurrentPrincipal() caller: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ResetPasswordRequest,
  ): Promise<PasswordResetResponse> {
    return this.users.resetPassword(caller, id, body);
  }
}
