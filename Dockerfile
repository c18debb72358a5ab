# syntax=docker/dockerfile:1
# k8stip container image: `docker build -t k8stip:0.1.0 --build-arg VERSION=0.1.0 .`
# Two stages: the builder resolves nothing (the lock files pin every dependency, with hashes)
# and the runtime stage gets only the finished virtualenv, the bundled tips and a non-root user.

# Base: Python 3.11 on Debian bookworm, slim (the tag is spelt out in both FROMs so linters
# can read it; bump both together).
FROM python:3.11-slim-bookworm AS builder
# (No PYTHONDONTWRITEBYTECODE here: pip compiles the .pyc files the read-only runtime can't.)
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
# Dependencies first (their own layer, rebuilt only when the lock files change).
COPY requirements.lock requirements-fast.lock ./
# Optional extras: `--build-arg EXTRAS=fast` adds numpy (requirements-fast.lock, 54 MB here), which
# only speeds up corpora of 20,000 tips or more; the default image goes without.
ARG EXTRAS=""
# pip checks the sha256 hashes in the lock files (hash-checking mode turns on by itself when
# a file has them); --no-deps: the locks are the complete set, nothing else gets resolved.
RUN if [ -n "${EXTRAS}" ] && [ "${EXTRAS}" != "fast" ]; then \
        echo "EXTRAS=${EXTRAS}: the only extra is 'fast'" >&2; exit 1; \
    fi \
    && if [ "${EXTRAS}" = "fast" ]; then \
        /opt/venv/bin/pip install --no-deps -r requirements.lock -r requirements-fast.lock; \
    else \
        /opt/venv/bin/pip install --no-deps -r requirements.lock; \
    fi
# Then k8stip itself, without dependencies: the lock files already brought them.
COPY pyproject.toml ./
COPY bot/ ./bot/
# What the runtime never uses goes: pip and setuptools (build tools), the packages' own test
# suites, type stubs (.pyi) and C/Cython sources and headers. The compiled .pyc stay: the
# runtime can't write them (read-only root filesystem) and they halve the start-up imports.
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/k8stip-*.whl \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv/lib/python3.11/site-packages -type d -name tests -prune -exec rm -rf {} + \
    && find /opt/venv/lib/python3.11/site-packages -type f \
        \( -name '*.pyi' -o -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.pyx' \
           -o -name '*.pxd' \) -delete

# Extension modules lose their symbol tables and debug sections (`strip --strip-unneeded`
# keeps the dynamic symbols, PyInit_* among them, that importing needs). Left alone: the
# libraries auditwheel vendors into `*.libs/` and any module with an RPATH/RUNPATH (they were
# rewritten by patchelf, which binutils' strip can corrupt). Then every dependency must still
# import (`-I`: from the venv, not from the sources in /src), or the build fails here rather
# than the container at start. binutils is installed only when strip is missing (the slim
# base has none; the builder stage is thrown away, so it costs the image nothing).
# hadolint ignore=DL3008
RUN if ! command -v strip >/dev/null || ! command -v readelf >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends binutils \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && find /opt/venv/lib/python3.11/site-packages -type f -name '*.so' -not -path '*.libs/*' \
        -exec sh -c 'for so; do \
            readelf -d "$so" | grep -qE "[(](RPATH|RUNPATH)[)]" \
                || strip --strip-unneeded "$so" || exit 1; \
        done' sh {} +
RUN /opt/venv/bin/python -I -c "import aiohttp, alembic, apscheduler, cryptography.fernet, \
discord, prometheus_client, psycopg, rapidfuzz.distance, ryml, slack_bolt.async_app, slack_sdk, \
sqlalchemy.dialects.postgresql, sqlalchemy.ext.asyncio, Stemmer, tzdata, yaml, bot.app, \
bot.runtime.store.migrate" \
    && if [ "${EXTRAS}" = "fast" ]; then /opt/venv/bin/python -I -c "import numpy"; fi

FROM python:3.11-slim-bookworm AS runtime
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/k8stip/k8stip
ARG REVISION=unknown
LABEL org.opencontainers.image.title="k8stip" \
      org.opencontainers.image.description="A self-hosted Slack and Discord bot that posts one Kubernetes tip a day" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"

# Read-only root filesystem friendly: no .pyc writes, unbuffered logs, temp files in /tmp
# (a tmpfs / emptyDir), the only persistent writes under /app/data (a volume), including the
# parsed-corpus cache (best effort: skipped where /app/data isn't writable).
# The health server binds 127.0.0.1 by default; in a container probes come from outside.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    TMPDIR=/tmp \
    K8STIP_CACHE_DIR=/app/data/cache \
    K8STIP_HEALTH_HOST=0.0.0.0

RUN groupadd --system --gid 10001 k8stip \
    && useradd --system --uid 10001 --gid k8stip --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin k8stip \
    && mkdir -p /app/data /app/config \
    && chown k8stip:k8stip /app/data

COPY --from=builder /opt/venv /opt/venv
# The bundled corpus: the default `corpus: tips/` resolves to /app/tips from WORKDIR /app.
# No config is baked in: without one k8stip runs on its defaults (SQLite in /app/data);
# docker-compose.yml and the Kubernetes manifests mount config.yaml under /app/config.
COPY tips/ /app/tips/

WORKDIR /app
USER 10001:10001
VOLUME ["/app/data"]
# 8080: health, readiness and /metrics. 8081: the admin web console (`web.enabled: true`;
# it binds 127.0.0.1 unless K8STIP_WEB_BIND or `web.bind` says otherwise).
EXPOSE 8080 8081

# No curl in the slim image: ask /healthz with the Python that is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]

# k8stip finishes the message it is posting and closes the gateway/socket on SIGTERM.
STOPSIGNAL SIGTERM
ENTRYPOINT ["k8stip"]
CMD ["run"]
