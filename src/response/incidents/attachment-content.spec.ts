import { describe, expect, it } from '@jest/globals';
import {
  attachmentDisposition,
  attachmentType,
  contentMismatch,
  safeFilename,
  servedType,
} from '#src/response/incidents/attachment-content.js';

/** The smallest valid PNG: signature, IHDR, IDAT, IEND. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

describe('incident attachments', () => {
  it('accepts the listed types only, without parameters', () => {
    expect(attachmentType('image/PNG')).toBe('image/png');
    expect(attachmentType('text/plain; charset=utf-8')).toBe('text/plain');
    expect(attachmentType('text/html')).toBeUndefined();
    expect(attachmentType(undefined)).toBeUndefined();
  });

  it('checks binary content against its signature and text as UTF-8', async () => {
    expect(await contentMismatch('image/png', PNG)).toBeUndefined();
    expect(await contentMismatch('image/png', Buffer.from('<html>not a png</html>'))).toMatch(
      /not image\/png/,
    );
    expect(await contentMismatch('image/jpeg', PNG)).toBe(
      'the content is image/png, not image/jpeg',
    );
    expect(
      await contentMismatch('application/zip', Buffer.from('PK\u0005\u0006' + '\0'.repeat(18))),
    ).toBeUndefined();
    expect(await contentMismatch('text/plain', Buffer.from('nhật ký DNS\n'))).toBeUndefined();
    expect(await contentMismatch('text/csv', Buffer.from([0x61, 0xff, 0x62]))).toMatch(/UTF-8/);
    expect(await contentMismatch('application/json', Buffer.from('{"a":"\u0000"}'))).toMatch(/NUL/);
  });

  it('keeps a safe file name and sends it as RFC 5987', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\logs\\dns\u0000\u202e.log')).toBe('dns.log');
    expect(safeFilename('..')).toBe('attachment');
    expect(safeFilename(undefined)).toBe('attachment');
    expect([...safeFilename('é'.repeat(300))]).toHaveLength(200);
    expect(attachmentDisposition('nhật ký "1".txt')).toBe(
      `attachment; filename="nh_t k_ _1_.txt"; filename*=UTF-8''nh%E1%BA%ADt%20k%C3%BD%20%221%22.txt`,
    );
    expect(servedType('application/json')).toBe('text/plain; charset=utf-8');
    expect(servedType('image/png')).toBe('image/png');
  });
});
