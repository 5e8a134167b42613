# syntax=docker/dockerfile:1
#
# eventrouter container image.
#
#   docker build -t ghcr.io/eventrouter/eventrouter:0.1.0 .
#
# Two stages: `build` installs the full (dev) dependency set and bundles the CLI with
# `npm run build` (scripts/build.ts: one tree-shaken ES module, with what only some
# configurations run split into chunks loaded on demand); the distroless runtime gets dist/
# and nothing else: no node_modules, no shell, no package manager. It runs as a numeric
# non-root UID and writes nothing outside the mounted checkpoint volume, so it runs with
# readOnlyRootFilesystem: true.

# Base images: a tag, plus a digest that pins it. A tag moves (every rebuild of node:24-slim
# or distroless nodejs24 republishes it), a digest does not: pin both for a reproducible,
# reviewable image. The digests are build arguments, empty by default, because they cannot
# be looked up (or verified) without a registry: resolve them where you build, e.g.
#
#   docker buildx imagetools inspect node:24-slim --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/nodejs24-debian12 --format '{{json .Manifest.Digest}}'
#   docker build \
#     --build-arg BUILD_IMAGE_DIGEST=@sha256:<node digest> \
#     --build-arg RUNTIME_IMAGE_DIGEST=@sha256:<distroless digest> \
#     -t registry.example.com/eventrouter:0.1.0 .
#
# (or write them below as the defaults in your fork, and let Renovate/Dependabot bump them).
# The reference is then `node:24-slim@sha256:...`: the tag documents, the digest decides.
# The leading `@` is part of the value so that an empty digest leaves the plain tag.
ARG BUILD_IMAGE=node:24-slim
ARG BUILD_IMAGE_DIGEST=
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12
ARG RUNTIME_IMAGE_DIGEST=

FROM ${BUILD_IMAGE}${BUILD_IMAGE_DIGEST} AS build
WORKDIR /app
# Manifests first: the dependency layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
RUN npm run build

FROM ${RUNTIME_IMAGE}${RUNTIME_IMAGE_DIGEST}
LABEL org.opencontainers.image.title="eventrouter" \
      org.opencontainers.image.description="OpenTelemetry-native Kubernetes event router" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# One malloc arena: the config is validated on a worker thread at start-up, and the arena glibc
# gives that thread may or may not be returned when it ends (at rest in 128 MiB: 77-81 MB RSS by
# chance with the default, 78.6 MB every time with one arena; bench/README.md). JavaScript runs
# on one thread; the few native threads allocate little.
ENV MALLOC_ARENA_MAX=1
# The bundle carries its version and every dependency (their licences in the .LEGAL.txt files).
COPY --from=build /app/dist ./dist
# distroless "nonroot"; numeric so that runAsNonRoot can be verified by the kubelet.
USER 65532:65532
# /metrics, /healthz, /readyz
EXPOSE 8080
# The file checkpoint store's default path; mount a persistent volume here (the Helm chart's
# persistence.* with checkpoint.store: file). The shipped manifests use the ConfigMap store.
VOLUME ["/var/lib/eventrouter"]
# node is PID 1: the CLI handles SIGTERM itself (stop reading, flush sinks, write the checkpoint, exit 0).
# --max-semi-space-size: V8's young generation, chosen by measurement in a 128 MiB cgroup
# (bench/README.md, "Memory"); `npm run bench` starts the router with the flags of this line.
ENTRYPOINT ["/nodejs/bin/node", "--max-old-space-size-percentage=50", "--max-semi-space-size=1", "/app/dist/eventrouter.js"]
