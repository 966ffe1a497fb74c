# container-doctor as a sidecar image. Build:  docker build -t container-doctor .
# Run it beside the containers it watches: see compose.example.yml and docs/sidecar.md.
#
# test/fixtures/sidecar/Dockerfile.test repeats the runtime stage for the offline integration
# test (test/integration/sidecar.test.ts checks that the two stay in step): keep them together.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile the TypeScript -------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, the compiled code, a non-root user ----------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production STATE_DIR=/var/lib/container-doctor HEALTH_HOST=127.0.0.1 HEALTH_PORT=8080
WORKDIR /app
# Install scripts only build optional native add-ons (ssh2's crypto binding, cpu-features) that
# need a compiler the slim image lacks; ssh2 works without them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The official Node images ship the unprivileged user `node` (uid 1000, gid 1000). The state
# directory is created before VOLUME so a fresh named volume starts out owned by `node`.
RUN mkdir -p /var/lib/container-doctor && chown node:node /var/lib/container-doctor
COPY bin ./bin
COPY --from=build /app/dist ./dist
USER node
VOLUME ["/var/lib/container-doctor"]
# Runs inside the container against 127.0.0.1, so /health needs no published port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "bin/doctor.js", "healthcheck"]
# Node as PID 1 gets no default signal handlers from the kernel; `doctor watch` installs its own
# for SIGTERM and SIGINT and exits 0 within moments, so no init process is required.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/doctor.js"]
CMD ["watch"]
