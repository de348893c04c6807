#!/usr/bin/env bash
# Build the service's image: `make image`. With docker, a plain `docker build`. With
# podman (no docker daemon answers), the recipe that works on machines without a registry or
# a container daemon: the local Debian base image (built first when missing), runc,
# host networking, the docker image format (OCI drops HEALTHCHECK), and the host's pip
# cache and CA bundle mounted into the build so llama.cpp's wheel is reused.
#
# Environment: IMAGE (default crane-bench:latest), ENGINE (docker|podman), BASE_IMAGE,
# NO_CACHE=1 (ignore the layer cache), PIP_CACHE=0 (do not mount the host's pip cache).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-crane-bench:latest}"
ENGINE="${ENGINE:-$(docker info >/dev/null 2>&1 && echo docker || echo podman)}"
args=(build --tag "$IMAGE" --file Dockerfile)
[[ "${NO_CACHE:-0}" == 1 ]] && args+=(--no-cache)

if [[ "$ENGINE" == docker ]]; then
  [[ -n "${BASE_IMAGE:-}" ]] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
  exec docker "${args[@]}" .
fi

command -v podman >/dev/null || { echo "neither docker nor podman is on PATH" >&2; exit 2; }
export BASE_IMAGE="${BASE_IMAGE:-localhost/debian-py:bookworm}"
if [[ "$BASE_IMAGE" == localhost/* ]]; then
  containers/base-image.sh
fi
args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE" --format docker --network host)
if [[ "${PIP_CACHE:-1}" != 0 ]]; then
  mkdir -p "$HOME/.cache/pip"
  args+=(--volume "$HOME/.cache/pip:/root/.cache/pip")
fi
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  args+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
fi
exec podman --runtime runc "${args[@]}" .
