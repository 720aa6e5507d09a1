#!/usr/bin/env bash
# The release build every benchmark measures: the named products (default: flux) into .build-release, with the
# Swift runtime and Foundation linked statically (--static-swift-stdlib), as a deployed flux binary would be:
# it starts faster and maps about 3 MB less than one that loads libswiftCore, Foundation and ICU as shared
# libraries (measured in docs/performance.md).
#
# Linked with the toolchain's lld, without exporting every symbol (the static runtime's link options ask for
# -export-dynamic, which nothing in flux needs: no plugin is ever loaded into it) and with packed relative
# relocations (DT_RELR, glibc 2.36+), the binary stays position-independent but the loader no longer reads
# 3.8 MB of relocation records and 2.9 MB of dynamic symbol tables at every start, which stayed resident
# (bench/resident-sections.py; docs/performance.md, session 4). Where lld is missing, gold links without the
# packed relocations.
#
#   bash bench/build-release.sh                     # .build-release/release/flux
#   bash bench/build-release.sh flux flux-benchmark
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
products=("$@")
[[ ${#products[@]} -gt 0 ]] || products=(flux)
link=(-Xlinker --no-export-dynamic)
lld="$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld"
mkdir -p .build-release
if [[ -x "$lld" ]]; then
    printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$lld" > .build-release/toolset.json
    link+=(--toolset .build-release/toolset.json -Xlinker -z -Xlinker pack-relative-relocs)
fi
echo "== building ${products[*]} (release, static Swift runtime)" >&2
for p in "${products[@]}"; do
    swift build --manifest-cache local -c release --static-swift-stdlib --scratch-path .build-release --product "$p" "${link[@]}" 2>&1 | tail -1 >&2
done
