#!/usr/bin/env bash
# Build the local Debian base image that stands in for python:3.12-slim where no
# registry can be reached (see docs/containers.md). Idempotent: does
# nothing when the image already exists. Needs root, podman and debootstrap.
set -euo pipefail

IMAGE="${BASE_IMAGE:-localhost/debian-py:bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-$(sed -nE 's/^URIs: *([^ ]+).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if podman image exists "$IMAGE"; then
  echo "base image $IMAGE already exists"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 2; }

ROOTFS="$(mktemp -d /tmp/crane-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "==> debootstrap $SUITE from $MIRROR (about 2.5 minutes)"
debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,ca-certificates \
  "$SUITE" "$ROOTFS" "$MIRROR" >/dev/null
# python:3.12-slim answers to `python`; so must the stand-in.
ln -sf python3 "$ROOTFS/usr/bin/python"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | podman import --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "==> base image $IMAGE built"
