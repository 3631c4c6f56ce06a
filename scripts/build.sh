#!/usr/bin/env bash
# Builds the default packages into dist/ on a fresh machine: installs mingw-w64 when missing
# (as root, Debian), builds the test credential-provider payload the embedded default
# configuration pins (payload/build), then runs `sspr-msi build` with any arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || ! command -v i686-w64-mingw32-gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update || echo "build.sh: apt-get update reported an error; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive apt-get install -y mingw-w64
  else
    echo "build.sh: mingw-w64 is needed to build the test payload: sudo apt-get install -y mingw-w64" >&2
    exit 1
  fi
fi
bash payload/build.sh payload/build
exec cargo run --release --locked -- build "$@"
