# container-doctor as a sidecar image. Build:  docker build -t container-doctor .
# Multi-arch (amd64 and arm64, e.g. a Raspberry Pi 4/5), pushed to a registry:
#   docker buildx create --use --name doctor-builder   # once; a docker-container builder
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=$(node -p "require('./package.json').version") \
#     --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
#     -t ghcr.io/OWNER/container-doctor:latest --push .
# The bundle is plain JavaScript, so the build stage runs on the build machine's own platform
# (--platform=$BUILDPLATFORM) and only the runtime stage is per-architecture: its two short RUN
# steps (apk add, mkdir) are all that runs under emulation for a foreign platform (QEMU/binfmt).
# Run it beside the containers it watches: see compose.example.yml and docs/sidecar.md.
#
# test/fixtures/sidecar/Dockerfile.test repeats the runtime stage for the offline integration
# test (test/integration/sidecar.test.ts checks that the two stay in step): keep them together.

# The build stage (npm ci, esbuild) runs on the official Debian-based Node image. The runtime is
# plain Alpine plus the node binary of the official Alpine Node image, which is how that image is
# made itself, minus npm, yarn and corepack (the doctor runs none of them). That binary is linked
# against the musl and libstdc++ of the Alpine release its image is built on, so NODE_IMAGE and
# BASE_IMAGE name the same release (node:24-alpine3.24 is built FROM alpine:3.24).
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG NODE_IMAGE=node:24-alpine3.24
ARG BASE_IMAGE=alpine:3.24

# --- build: bundle the TypeScript and its dependencies into dist/ (scripts/bundle.mjs) ----------
FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# esbuild's binary comes from its optional per-platform package, so no install script is needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

# --- node: the official Alpine Node image for the target platform, for its /usr/local/bin/node --
FROM ${NODE_IMAGE} AS node

# --- runtime: Alpine, node, the bundle (every dependency inside: no node_modules), user `node` --
FROM ${BASE_IMAGE}
# What node needs to run and the unprivileged user `node` (uid 1000, gid 1000), as the official
# Node images install and create them.
RUN apk add --no-cache libstdc++ libgcc \
    && addgroup -g 1000 node && adduser -u 1000 -G node -s /bin/sh -D node
# The node binary alone, from the official image (NODE_IMAGE); no npm, yarn or corepack.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="container-doctor" \
      org.opencontainers.image.description="Keeps Docker containers alive and explains their failures: detect, diagnose, restart only when clearly safe, audit every decision." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/container-doctor/container-doctor" \
      org.opencontainers.image.base.name="docker.io/library/alpine:3.24"
# A young generation of 1 MB instead of V8's default (up to 16 MB) keeps a long-running watch
# 5-10 MB smaller at the cost of more frequent, sub-millisecond scavenges (docs/scale.md).
ENV NODE_ENV=production STATE_DIR=/var/lib/container-doctor HEALTH_HOST=127.0.0.1 HEALTH_PORT=8080 \
    NODE_OPTIONS=--max-semi-space-size=1
WORKDIR /app
# package.json gives bin/doctor.js its module type and the version; no npm package is installed.
COPY package.json ./
# The state directory is created before VOLUME so a fresh named volume starts out owned by `node`.
RUN mkdir -p /var/lib/container-doctor && chown node:node /var/lib/container-doctor
COPY bin ./bin
COPY --from=build /app/dist ./dist
USER node
VOLUME ["/var/lib/container-doctor"]
# Runs inside the container against 127.0.0.1, so /health needs no published port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "bin/doctor.js", "healthcheck"]
# Node as PID 1 gets no default signal handlers from the kernel; `doctor watch` installs its own
# for SIGTERM and SIGINT and exits 0 within moments, so no init process is required.
# --no-maglev must be on the command line to keep Node 24 from compiling the start-up with Maglev
# (2 MB of an idle watch; src/cli/long-running.ts, WATCH_NODE_FLAGS). NODE_OPTIONS refuses it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--no-maglev", "bin/doctor.js"]
CMD ["watch"]
