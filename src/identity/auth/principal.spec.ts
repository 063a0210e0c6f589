import { describe, expect, it } from '@jest/globals';
import { actorType, type Principal } from '#src/identity/auth/principal.js';

describe('actorType', () => {
  const principal = (kind: Principal['kind']): Principal => ({
    kind,
    id: '0b8f6d2e-8a7e-4d39-9d0e-6f1c4e2b7a11',
    organizationId: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    organizationKind: 'isp',
    roles: [],
    tokenId: 'jti',
  });

  it('records a user as user and an API client as api_client', () => {
    expect(actorType(principal('user'))).toBe('user');
    expect(actorType(principal('client'))).toBe('api_client');
  });
});
