# syntax=docker/dockerfile:1
#
# eventrouter container image.
#
#   docker build -t ghcr.io/eventrouter/eventrouter:0.1.0 .
#
# Three stages: `build` compiles TypeScript to dist/ with the full (dev) dependency
# set; `prod-deps` installs only the runtime dependencies in a clean tree, so no
# compiler or test tool reaches the image; the distroless runtime has node and
# nothing else (no shell, no package manager), runs as a numeric non-root UID and
# writes nothing outside the mounted checkpoint volume, so it runs with
# readOnlyRootFilesystem: true.

ARG BUILD_IMAGE=node:24-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12

FROM ${BUILD_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${BUILD_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no runtime dependency needs an install script, and none should run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="eventrouter" \
      org.opencontainers.image.description="OpenTelemetry-native Kubernetes event router" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# version.ts reads ../../package.json relative to dist/app/, i.e. /app/package.json.
COPY --from=prod-deps /app/package.json ./package.json
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# distroless "nonroot"; numeric so that runAsNonRoot can be verified by the kubelet.
USER 65532:65532
# /metrics, /healthz, /readyz
EXPOSE 8080
# The file checkpoint store's default path; mount a volume here (the Deployment uses an emptyDir).
VOLUME ["/var/lib/eventrouter"]
# node is PID 1: the CLI handles SIGTERM itself (stop reading, flush sinks, write the checkpoint, exit 0).
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
