# The TypeScript server: Hono on Node, TypeScript run by tsx (no build step).
# Build from the repository root: docker build -f docker/ts.Dockerfile .

# better-sqlite3 is native: npm ci fetches a prebuilt binary, or compiles it with these tools when no
# prebuilt one fits the platform. The tools stay in this stage.
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules/ node_modules/
COPY package.json tsconfig.json routes.yaml ./
COPY gateway/ gateway/
COPY services/ services/
# The TS server answers its own errors (502, 504, ...) with the same static pages as nginx: the forum's
# (STRANGLER_PAGES_DIR in compose.yaml), and the gateway's neutral ones are its default.
COPY nginx/pages/ nginx/pages/
# The forum services render their pages and HTML errors from legacy's own templates, so nobody can tell
# the sides apart.
COPY legacy-python/forum/templates/ legacy-python/forum/templates/
COPY legacy-python/front-door-pages/ legacy-python/front-door-pages/

# uid 1000 (the image's `node` user), like the legacy container, so both can write the shared SQLite file;
# /state holds the gateway's own state file (STRANGLER_STATE_DIR).
RUN mkdir -p /data /state && chown node:node /data /state
USER node

ENV NODE_ENV=production \
    TS_HOST=0.0.0.0 \
    TS_PORT=8081 \
    FORUM_DB=/data/forum.db
EXPOSE 8081
CMD ["node", "--import", "tsx", "gateway/server/main.ts"]
