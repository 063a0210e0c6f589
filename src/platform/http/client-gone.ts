import type { FastifyReply } from 'fastify';

/**
 * A signal that aborts when the client goes away before its answer is sent (its connection
 * closed): what a held request listens to so that it is released at once.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  if (response.destroyed) controller.abort();
  else {
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
  }
  return controller.signal;
}
