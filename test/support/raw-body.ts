import type request from 'supertest';

/**
 * A supertest parser that keeps the body as sent: `.buffer(true).parse(rawBody)`. Supertest
 * would otherwise parse `+json` media types and decompress gzip itself.
 */
export function rawBody(
  res: request.Response,
  callback: (err: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}
