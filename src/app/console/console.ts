import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROJECT_ROOT } from '#src/platform/project/index.js';
import { httpProblem, sendProblem, type ErrorDialect } from '#src/platform/problem/index.js';

/** Where `npm run build` puts the console (web/, built by Vite). */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'web');

/**
 * Paths that belong to the API and the platform: never answered with the console, so that an
 * unknown API route stays a problem+json 404.
 */
const NOT_CONSOLE = /^\/(api|taxii2|health|metrics|\.well-known|assets)(\/|$|\?)/;
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
}

/**
 * The Content-Security-Policy of the console's pages: scripts only from this origin (no inline
 * script, no eval), styles from this origin or carrying this response's nonce (the UI library
 * injects its styles with it), fetches only to this origin, no framing, no plugins.
 */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

function acceptsGzip(request: FastifyRequest): boolean {
  return /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
}

function acceptsHtml(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the web console from `root` (dist/web): `GET /` and every path the console routes in
 * the browser (a GET for HTML that no API route answers) get index.html with a fresh CSP nonce;
 * `GET /assets/:file` the hashed files, compressed once at start and cached for a year. The
 * files are read into memory at start (about 1 MB). Without a build, `/` answers a 404 problem
 * saying so.
 */
export function installConsole(
  fastify: FastifyInstance,
  options: { root?: string; dialects: readonly ErrorDialect[] },
): void {
  const root = options.root ?? CONSOLE_DIR;
  const built = existsSync(path.join(root, 'index.html'));
  const template = built ? readFileSync(path.join(root, 'index.html'), 'utf8') : '';
  const assets = new Map<string, Asset>();
  const assetDir = path.join(root, 'assets');
  if (built && existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const body = readFileSync(path.join(assetDir, name));
      assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type });
    }
  }

  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    if (!built) {
      sendProblem(
        request,
        reply,
        httpProblem(404, 'The web console is not built: run `npm run build` (npm start does).'),
        options.dialects,
      );
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    void reply
      .headers(SECURITY_HEADERS)
      .header('content-security-policy', consoleCsp(nonce))
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(template.replace(NONCE_PLACEHOLDER, nonce));
  };

  fastify.get('/', (request, reply) => sendIndex(request, reply));
  fastify.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) {
      sendProblem(
        request,
        reply,
        httpProblem(404, 'No such file of the console'),
        options.dialects,
      );
      return;
    }
    const gzip = acceptsGzip(request);
    void reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
      .type(asset.type);
    if (gzip) void reply.header('content-encoding', 'gzip');
    void reply.send(gzip ? asset.gzip : asset.body);
  });
  // The console's own paths (/requests/…, /admin/…) are routed in the browser: a page load or
  // reload there gets index.html. Only for GETs asking for HTML that no route answers.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (
      !request.is404 ||
      (request.method !== 'GET' && request.method !== 'HEAD') ||
      NOT_CONSOLE.test(request.url) ||
      !acceptsHtml(request)
    ) {
      done();
      return;
    }
    sendIndex(request, reply);
  });
}
