# syntax=docker/dockerfile:1.7
# CarePulse production image: one image for every Airflow component (api-server, scheduler,
# dag-processor, triggerer, celery worker, flower, init) and for the dashboard.
#
# Base: python:3.11-slim + uv, NOT apache/airflow:3.3.2-python3.11. The official image already
# carries its own Airflow, providers and ~400 packages resolved against Airflow's constraints
# file; installing our uv.lock on top of it would give two resolutions in one interpreter and
# no single answer to "which version ran?". Here uv.lock is the only source of versions, for
# Airflow itself too, so the image runs exactly what `make test` tested. What we give up from
# the official image (its entrypoint's _AIRFLOW_DB_MIGRATE / _AIRFLOW_WWW_USER_CREATE, the
# wait-for-db loop) is done explicitly by the `airflow-init` service and compose healthchecks.
#
# The production-only packages (Postgres driver + provider, Celery provider with redis and
# flower, the FAB auth manager) are the `deploy` extra of pyproject.toml, locked in uv.lock
# like everything else; the local dev environment (`uv sync --frozen`) does not install them.
#
# Build:  docker compose build        (or: docker build --build-arg CAREPULSE_GIT_COMMIT=$(git rev-parse HEAD) .)

ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# ---------------------------------------------------------------- build: resolve nothing, install the lock
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/carepulse/.venv
WORKDIR /opt/carepulse

# 1) third-party dependencies exactly as locked; this layer changes only when the lock does.
#    --frozen: install from uv.lock as it is, fail instead of re-resolving.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra deploy --no-install-project

# 2) the project itself. It stays an editable install on purpose: transform/ and carepulse/
#    find dbt_project/ next to the packages (ROOT = parent of the package directory), so the
#    code must live in /opt/carepulse, not in site-packages.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra deploy \
 && .venv/bin/python -m compileall -q carepulse deploy extract transform expectations dags dashboard lineage

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime
ARG CAREPULSE_UID=50000
# The code version recorded in manifests: there is no .git inside the image, so the commit
# comes in as a build argument (docker compose passes it from CAREPULSE_GIT_COMMIT).
ARG CAREPULSE_GIT_COMMIT=unknown

# curl for the compose healthchecks, tini as PID 1 (signal forwarding, zombie reaping,
# warm shutdown of celery workers).
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --uid "${CAREPULSE_UID}" --gid 0 --create-home --home-dir /home/carepulse carepulse

# Code and virtualenv are owned by root: the runtime user can run them but not change them.
COPY --from=build /opt/carepulse /opt/carepulse

# Writable places only: the data root (becomes the named volume carepulse-data, which Docker
# seeds with this ownership), Airflow's home/logs, and dbt's target/ and logs/.
RUN mkdir -p /opt/carepulse/data/raw /opt/carepulse/data/warehouse /opt/carepulse/data/audit \
             /opt/carepulse/data/lineage/airflow /opt/airflow/logs \
             /opt/carepulse/dbt_project/target /opt/carepulse/dbt_project/logs \
 && chown -R carepulse:0 /opt/carepulse/data /opt/airflow \
                         /opt/carepulse/dbt_project/target /opt/carepulse/dbt_project/logs \
 && chmod 0700 /opt/carepulse/data/raw

ENV PATH=/opt/carepulse/.venv/bin:${PATH} \
    VIRTUAL_ENV=/opt/carepulse/.venv \
    PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow \
    CAREPULSE_HOME=/opt/carepulse/data \
    CAREPULSE_CONFIG=/opt/carepulse/config/monitoring.yml \
    CAREPULSE_GIT_COMMIT=${CAREPULSE_GIT_COMMIT} \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    GX_ANALYTICS_ENABLED=false \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

LABEL org.opencontainers.image.title="carepulse" \
      org.opencontainers.image.revision="${CAREPULSE_GIT_COMMIT}"

USER carepulse
WORKDIR /opt/carepulse
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["carepulse", "--help"]
