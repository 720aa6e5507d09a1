#!/usr/bin/env bash
# The release build every benchmark measures: the named products (default: flux) into .build-release, with the
# Swift runtime and Foundation linked statically (--static-swift-stdlib), as a deployed flux binary would be:
# it starts faster and maps about 3 MB less than one that loads libswiftCore, Foundation and ICU as shared
# libraries (measured in docs/performance.md).
#
#   bash bench/build-release.sh                     # .build-release/release/flux
#   bash bench/build-release.sh flux flux-benchmark
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
products=("$@")
[[ ${#products[@]} -gt 0 ]] || products=(flux)
echo "== building ${products[*]} (release, static Swift runtime)" >&2
for p in "${products[@]}"; do
    swift build --manifest-cache local -c release --static-swift-stdlib --scratch-path .build-release --product "$p" 2>&1 | tail -1 >&2
done
