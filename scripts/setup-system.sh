#!/usr/bin/env bash
# Installs the system packages Flux for Swift builds and tests against, where missing (Debian/Ubuntu).
set -euo pipefail
need=()
for pkg in libsqlite3-dev libcurl4-openssl-dev python3-venv; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing system packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
command -v swift >/dev/null 2>&1 || { echo "error: swift is not on PATH (Swift 6.2 or newer is needed)" >&2; exit 1; }
