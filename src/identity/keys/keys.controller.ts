import { Controller, Get, Header, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#src/identity/auth/access.decorators.js';
import { Public } from '#src/platform/http/index.js';
import { CurrentPrincipal } from '#src/identity/auth/current-principal.decorator.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { JwksResponse, KeyResponse } from '#src/identity/keys/keys.dto.js';
import { KeysService } from '#src/identity/keys/keys.service.js';

@ApiTags('Keys')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ operationId: 'listKeys', summary: 'List token-signing keys and their status' })
  @ApiOkResponse({ type: [KeyResponse] })
  list(): Promise<KeyResponse[]> {
    return this.keys.list();
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    operationId: 'rotateKey',
    summary: 'Rotate the token-signing key',
    description:
      'Creates a new active key; new tokens carry its kid. The previous key keeps verifying ' +
      'the tokens it signed until they expire (one access-token lifetime), then retires.',
  })
  @ApiCreatedResponse({ type: KeyResponse })
  rotate(@CurrentPrincipal() caller: Principal): Promise<KeyResponse> {
    return this.keys.rotate(caller);
  }
}

@ApiTags('Keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: KeysService) {}

  @Get('jwks.json')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'JSON Web Key Set of the token-signing keys',
    description: 'Verify access tokens offline with these keys (ES256), chosen by `kid`.',
  })
  @ApiOkResponse({ type: JwksResponse })
  jwks(): Promise<JwksResponse> {
    return this.keys.jwks();
  }
}
