#!/usr/bin/env bash
# Build llama.cpp's own `llama-server` (continuous batching over --parallel slots) from
# the llama.cpp sources that the installed llama-cpp-python's sdist vendors, and put it
# at $1 (default .venv/bin/llama-server). Same llama.cpp as the Python bindings, MIT
# licensed, portable flags as `make install` uses for the bindings.
#
# The binary is cached by llama-cpp-python version and flags under
# ${XDG_CACHE_HOME:-~/.cache}/crane-bench/llama-server/, so a second install copies it
# in a second; the first build takes about 6 minutes on 2 cores (5.5 measured).
set -euo pipefail

DEST=${1:-.venv/bin/llama-server}
PYTHON=${PYTHON:-.venv/bin/python}
FLAGS=(-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DBUILD_SHARED_LIBS=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF
       -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF)

version=$("$PYTHON" -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
key=$(printf '%s ' "$version" "${FLAGS[@]}" | sha256sum | cut -c1-12)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/crane-bench/llama-server/$version-$key"

if [[ ! -x "$cache/llama-server" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "==> llama-server: building llama.cpp $version's server (about 6 min on 2 cores)"
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: --dest "$work" \
    "llama-cpp-python==$version"
  tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work" --wildcards '*/vendor/llama.cpp/*'
  src=$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)
  # The system's cmake and ninja when there are; else PyPI's, into the virtualenv (as
  # llama-cpp-python's own build gets them).
  bin=$(cd "$(dirname "$PYTHON")" && pwd)
  if ! command -v cmake >/dev/null; then
    "$PYTHON" -m pip install --quiet cmake ninja
    export PATH="$bin:$PATH"
  fi
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "$src" -B "$work/build" "${generator[@]}" "${FLAGS[@]}" >"$work/configure.log" 2>&1 \
    || { tail -30 "$work/configure.log"; exit 1; }
  cmake --build "$work/build" --target llama-server -j "$(nproc)" 2>&1 \
    | sed -unE 's#^\[([0-9]+/[0-9]+)\] .*/([^/ ]+)\.o$#  [\1] \2#p; /error/p'
  mkdir -p "$cache"
  install -m 0755 "$work/build/bin/llama-server" "$cache/llama-server.tmp"
  mv "$cache/llama-server.tmp" "$cache/llama-server"
fi
install -m 0755 "$cache/llama-server" "$DEST"
"$DEST" --version 2>&1 | grep -m1 -E "^version" || true
echo "==> llama-server: $DEST"
