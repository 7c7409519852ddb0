# The nginx front door, its config generated from routes.yaml at build time.
# Build from the repository root: docker build -f docker/nginx.Dockerfile .
# The build args say where the backends are; compose passes its service names.

# Stage 1: generate nginx.conf with the gateway's own generator. The generator checks that the
# headers-more module is installed, and writes absolute paths (prefix, error pages, module), so this
# stage uses the same WORKDIR and the same Debian release as the final image.
FROM node:20-bookworm-slim AS config
RUN apt-get update \
    && apt-get install -y --no-install-recommends libnginx-mod-http-headers-more-filter \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Generating the config needs no native module: skip install scripts (better-sqlite3's build).
RUN npm ci --omit=dev --ignore-scripts
COPY tsconfig.json routes.yaml ./
COPY bin/ bin/
COPY gateway/ gateway/
COPY nginx/nginx.conf.template nginx/
COPY nginx/pages/ nginx/pages/
ARG LEGACY_HOST=legacy
ARG LEGACY_PORT=8090
ARG TS_HOST=ts
ARG TS_PORT=8081
ARG FRONT_PORT=8080
# The error pages nginx serves: the forum's own (the gateway's neutral ones are nginx/pages).
ARG STRANGLER_PAGES_DIR=legacy-python/front-door-pages
RUN node bin/strangler.js nginx --listen "0.0.0.0:${FRONT_PORT}"

# Stage 2: Debian's nginx with the headers-more module, running as an ordinary user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-http-headers-more-filter \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY legacy-python/front-door-pages/ legacy-python/front-door-pages/
COPY --from=config /app/nginx/generated/nginx.conf nginx/generated/nginx.conf
# The prefix (-p) holds the pid file, temp directories and the JSON access log.
RUN mkdir -p nginx/run/tmp && chown -R www-data:www-data nginx/run
USER www-data
EXPOSE 8080
CMD ["nginx", "-p", "/app/nginx/run", "-c", "/app/nginx/generated/nginx.conf", "-e", "stderr", "-g", "daemon off;"]
