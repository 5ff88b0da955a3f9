# syntax=docker/dockerfile:1

# Base image: node:24-bookworm-slim (Debian, glibc) rather than alpine (musl).
# - argon2's prebuilt binary and every measurement in this repo were made on
#   glibc; musl differs in its DNS resolver and memory allocator, which shows up
#   as behaviour and throughput differences only in production.
# - Debian ships tini as a package, so the init process comes from the distro's
#   signed archive instead of a binary downloaded at build time.
# The extra ~50 MB over alpine is paid once per node: all targets share layers.
FROM node:24-bookworm-slim AS base
WORKDIR /app

# ---- deps: every dependency (dev included) for the TypeScript build ----------
FROM base AS deps
COPY package.json package-lock.json ./
# npm ci: install exactly the lockfile, fail if package.json and the lockfile
# disagree. The cache mount (BuildKit, the default builder since Docker 23)
# keeps downloads between builds without baking the cache into a layer.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# ---- build: compile src/ to dist/ ---------------------------------------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only ---------------------------------
# A separate stage installed from the lockfile alone, so it is cached until the
# lockfile changes (a prune after the build would redo it on every source edit).
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- runtime: what every target shares ------------------------------------------
FROM base AS runtime
# tini as PID 1: the kernel gives PID 1 no default signal actions, so a SIGTERM
# that arrives before Node installs its handler (during boot) would be ignored
# and the container killed after the grace period; tini also reaps zombies.
# libjemalloc2: the allocator every Node process here runs on (LD_PRELOAD below). Debian puts it under
# the architecture's directory, so it is linked to one path for amd64 and arm64 alike, and the build
# fails if Node does not map it (a missing preload would only print a warning at every start).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini libjemalloc2 \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2 \
    && LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 node -e \
        "process.exit(require('fs').readFileSync('/proc/self/maps','utf8').includes('libjemalloc')?0:1)"
# V8 sizes its heap from the machine's memory, not the container's limit. Unbounded, one API process
# grew from ~205 MB RSS idle to ~450 MB under load here (heap it had no need to collect yet), close to
# the 512Mi limit in k8s/; a 256 MB old space held it at ~270-290 MB, 128 MB of it the young generation
# Node 24 sizes for a 24 GB machine. 8 MB semi-spaces (16 MB young generation) with jemalloc hold it
# under 200 MiB under every load of the bench (largest 193 MB, bench/results/2026-12-02-5acde43.md).
# Raise both with the limit.
# LD_PRELOAD jemalloc: glibc's malloc keeps what V8's compiler and GC helper threads and libuv's pool
# freed in per-thread arenas. With jemalloc and 8 MB semi-spaces the max RSS of one process under PATCH
# at WEB_CONCURRENCY=2 was 183-197 MB against 202-232 with glibc (two arenas) and 16 MB semi-spaces,
# cached and uncached reads 10-23 MB lower. PATCH ran 1-11% slower in those pairs (the smaller young
# generation collects twice as often); the reads' req/s moved within the run-to-run spread (README).
# MALLOC_ARENA_MAX=2 only matters where the preload is absent (a process started with LD_PRELOAD unset):
# two arenas took 7-18 MB off glibc's max RSS at no measurable cost.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=8" \
    LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_PORT=9464
# Code stays owned by root and is read-only to the app user: a compromised
# process cannot rewrite what runs next.
# package.json is needed at run time: its "type": "module" makes dist/*.js ESM.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Where uploaded import files wait for the worker (IMPORT_STORAGE_DIR in compose; mount shared storage
# there). Owned by the app user, so a fresh named volume mounted on it is writable.
RUN mkdir -p /var/lib/nest-at-scale/imports && chown 1000:1000 /var/lib/nest-at-scale/imports
# The numeric uid of the image's "node" user: Kubernetes can only verify
# runAsNonRoot against a numeric USER.
USER 1000:1000
# Exec form, no shell in between: signals go tini -> node directly.
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- migrate: one-shot schema migration ---------------------------------------
FROM runtime AS migrate
HEALTHCHECK NONE
CMD ["node", "dist/bootstrap/migrate.js"]

# ---- worker: queue processors, no public HTTP port --------------------------------
FROM runtime AS worker
EXPOSE 9464
# The worker serves only the metrics port; a GET there proves the event loop turns.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/metrics',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/worker.js"]

# ---- api: HTTP entry (last stage, so a plain `docker build .` produces it) ---------
FROM runtime AS api
EXPOSE 3000 9464
# Liveness (the process answers), not readiness: Docker marks the container
# unhealthy on this, and a database outage must not mark healthy processes so.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
