import type { Readable } from 'node:stream';
import { badRequest, payloadTooLarge, ProblemType } from '#src/platform/problem/index.js';

/**
 * A streamed body (a route with @StreamBody) read whole as UTF-8 text, at most `maxBytes`
 * (413 naming `limit` beyond; the connection then closes without reading the rest). Text that
 * is not UTF-8 or holds a NUL is a 400: no layer below sees text PostgreSQL cannot store.
 */
export async function readBodyText(
  stream: Readable,
  declaredLength: string | undefined,
  limit: { name: string; value: number },
): Promise<string> {
  const tooLarge = () =>
    payloadTooLarge(`The body is larger than ${limit.value} bytes`, limit, {
      headers: { connection: 'close' },
    });
  if (declaredLength !== undefined && /^\d+$/.test(declaredLength)) {
    if (Number(declaredLength) > limit.value) throw tooLarge();
  }
  // Not `for await`: leaving it early would destroy the request, and the answer with it.
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer | string): void => {
      if (done) return;
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size <= limit.value) {
        chunks.push(buffer);
        return;
      }
      done = true;
      stream.off('data', onData);
      stream.pause();
      reject(tooLarge());
    };
    stream.on('data', onData);
    stream.once('end', () => {
      done = true;
      resolve();
    });
    // Stays attached: an error after the answer (the client went away) must not be unhandled.
    stream.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw badRequest('The body is not UTF-8 text', {
      type: ProblemType.malformedBody,
      title: 'The body cannot be read',
    });
  }
  if (text.includes('\u0000')) {
    throw badRequest('The body contains a NUL character', {
      type: ProblemType.malformedBody,
      title: 'The body cannot be read',
    });
  }
  return text;
}
