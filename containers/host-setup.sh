#!/usr/bin/env bash
# Make a Debian host able to run `make image` and `make docker-test` with podman (as root):
# podman, runc (crun fails here on hybrid cgroups), debootstrap (for the local base image
# where no registry can be reached), and no default ulimits (runc cannot set RLIMIT_NOFILE
# in these sandboxes). Idempotent; `.ci/run` calls it before `make docker-test`.
set -euo pipefail

missing=()
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

CONF=/etc/containers/containers.conf
if [[ ! -e "$CONF" ]]; then
  mkdir -p "$(dirname "$CONF")"
  printf '[containers]\ndefault_ulimits = []\n' >"$CONF"
  echo "==> wrote $CONF (default_ulimits = [])"
elif ! grep -q '^default_ulimits' "$CONF"; then
  # Someone's own settings: say what to add rather than rewrite their file.
  echo "warning: $CONF sets no default_ulimits; if runc fails with 'setrlimit', add" \
    "'default_ulimits = []' under [containers]" >&2
fi
