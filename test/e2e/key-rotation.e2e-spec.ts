import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { KeyEncryption } from '#src/platform/encryption/key-encryption.js';
import { KeysService } from '#src/identity/keys/keys.service.js';
import { SigningKeyEntity } from '#src/identity/keys/signing-key.entity.js';
import { Factories } from '#test/support/factories.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { createTestApp, TEST_KEY_ENCRYPTION_KEY, type TestApp } from '#test/support/test-app.js';

describe('signing-key rotation', () => {
  let t: TestApp;
  let make: Factories;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ extraImports: [ProbeModule] });
    make = new Factories(t.app);
    admin = (await make.loginAs('admin')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  const whoami = (token: string) =>
    request(t.server).get('/api/v1/__probe/whoami').set('authorization', `Bearer ${token}`);
  const rotate = () =>
    request(t.server).post('/api/v1/keys').set('authorization', `Bearer ${admin}`).expect(201);

  it('is for admins only', async () => {
    const analyst = (await make.loginAs('analyst')).token;
    await request(t.server)
      .post('/api/v1/keys')
      .set('authorization', `Bearer ${analyst}`)
      .expect(403);
    await request(t.server).post('/api/v1/keys').expect(401);
  });

  it('keeps old tokens valid until they expire, signs new ones with the new kid, then retires the old key', async () => {
    await rotate(); // start from a key that this test owns
    const before = (await make.loginAs('analyst')).token;
    const oldKid = decodeProtectedHeader(before).kid;

    const created = await rotate();
    expect(created.body).toMatchObject({ alg: 'ES256', status: 'active' });
    const newKid = created.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    // The token signed by the old key still works; new tokens carry the new kid.
    await whoami(before).expect(200);
    const after = (await make.loginAs('analyst')).token;
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await whoami(after).expect(200);

    const jwks = await request(t.server).get('/.well-known/jwks.json').expect(200);
    const kids = jwks.body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.d).toBeUndefined(); // never the private part
    }

    const listed = await request(t.server)
      .get('/api/v1/keys')
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    const byKid = new Map(listed.body.map((k: { kid: string; status: string }) => [k.kid, k]));
    expect(byKid.get(newKid)).toMatchObject({ status: 'active', verifyUntil: null });
    const old = byKid.get(oldKid) as { status: string; verifyUntil: string };
    expect(old.status).toBe('verifying');
    // One access-token lifetime + tolerance + re-read interval from now.
    const graceMs = new Date(old.verifyUntil).getTime() - Date.now();
    expect(graceMs).toBeGreaterThan((900 + 30) * 1000);
    expect(graceMs).toBeLessThanOrEqual((900 + 30 + 60) * 1000);

    // Once the old key's grace has passed, its tokens are refused and it leaves the JWKS.
    await t.app
      .get(DataSource)
      .getRepository(SigningKeyEntity)
      .update({ kid: oldKid as string }, { verifyUntil: new Date(Date.now() - 1000) });
    await t.app.get(KeysService).reload();
    const refused = await whoami(before).expect(401);
    expect(refused.body.detail).toMatch(/unknown or retired key/);
    const jwksAfter = await request(t.server).get('/.well-known/jwks.json').expect(200);
    expect(jwksAfter.body.keys.map((k: { kid: string }) => k.kid)).not.toContain(oldKid);
    await whoami(after).expect(200);
  });

  it('stores private keys encrypted', async () => {
    const rows = await t.app.get(DataSource).getRepository(SigningKeyEntity).find();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      // Not a usable PKCS#8 key as stored ...
      expect(() =>
        createPrivateKey({ key: row.privateKeyEncrypted, format: 'der', type: 'pkcs8' }),
      ).toThrow();
      // ... but one after opening it with the key-encryption key.
      const opened = KeyEncryption.withKey(Buffer.from(TEST_KEY_ENCRYPTION_KEY, 'base64')).open(
        row.privateKeyEncrypted,
      );
      expect(
        createPrivateKey({ key: opened, format: 'der', type: 'pkcs8' }).asymmetricKeyType,
      ).toBe('ec');
    }
  });
});
