#!/usr/bin/env bash
# One command for the side-by-side figures: builds the release benchmark, runs the original flux-core's
# hello.py 1000 and fanout.py map 1000, then `flux-benchmark all` (ours and the raw SQLite baseline), and
# prints the ratios against the goals. Results are kept in .bench/results/<time>/.
#
#   bench/compare-engine.sh                        # synchronous=NORMAL
#   bench/compare-engine.sh --synchronous full     # FULL (fsync per commit)
#   bench/compare-engine.sh --quick                # hello 1000 and map 1000 only, fewer repetitions
#   FLUX_CORE_REPS=5 bench/compare-engine.sh       # repetitions of each flux-core script (default 3)
#   bench/compare-engine.sh --skip-build           # use the binary already in .build-release
#   bench/compare-engine.sh -- --diagnostics --repetitions 3   # anything after -- goes to `flux-benchmark all`
#
# Other load on the machine moves every figure: the load average is printed with each one. Compare
# figures from the same run only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SYNC=normal
QUICK=0
BUILD=1
EXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --synchronous) SYNC="$2"; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --skip-build) BUILD=0; shift ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "compare-engine: unknown option $1" >&2; exit 2 ;;
    esac
done
REPS="${FLUX_CORE_REPS:-3}"
OUT="$ROOT/.bench/results/$(date +%Y%m%d-%H%M%S)-$SYNC"
mkdir -p "$OUT"
load() { cut -d' ' -f1 /proc/loadavg; }

bench/setup-flux-core.sh
PY="$ROOT/.bench/venv-flux-core/bin/python"

if [[ $BUILD == 1 ]]; then
    bash bench/build-release.sh flux-benchmark
fi
BIN="$ROOT/.build-release/release/flux-benchmark"

{
    echo "date: $(date -Is)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "nproc: $(nproc)"
    echo "memory: $(free -m | awk '/^Mem:/ {print $2 " MiB total, " $7 " MiB available"}')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "uptime: $(uptime)"
} | tee "$OUT/machine.txt"

# flux-core: each run in a fresh directory with its own .flux/ (the original needs it to exist).
run_flux_core() {  # script args... -> prints the script's last line
    local dir
    dir="$(mktemp -d)"
    mkdir -p "$dir/.flux"
    (cd "$dir" && "$PY" "$ROOT/bench/$1" "${@:2}" 2>/dev/null | tail -1)
    rm -rf "$dir"
}
echo "== flux-core 0.87.5: hello.py 1000, fanout.py map 1000 ($REPS runs each)"
: > "$OUT/flux-core.txt"
for i in $(seq "$REPS"); do
    l=$(load); line=$(run_flux_core hello.py 1000)
    echo "hello load=$l $line" | tee -a "$OUT/flux-core.txt"
done
for i in $(seq "$REPS"); do
    l=$(load); line=$(run_flux_core fanout.py map 1000)
    echo "map load=$l $line" | tee -a "$OUT/flux-core.txt"
done

echo "== flux-benchmark all --synchronous $SYNC"
ARGS=(all --synchronous "$SYNC" --json)
[[ $QUICK == 1 ]] && ARGS+=(--hello-sizes 1000 --map-sizes 1000 --repetitions 3 --map-repetitions 3)
ARGS+=("${EXTRA[@]}")
"$BIN" "${ARGS[@]}" > "$OUT/ours.json"

python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import json, re, statistics, sys
out = sys.argv[1]
ours = json.load(open(f"{out}/ours.json"))
cases = {(c["name"], c["n"]): c for c in ours["cases"]}
hello_py, map_py, loads = [], [], []
for line in open(f"{out}/flux-core.txt"):
    loads.append(float(re.search(r"load=([\d.]+)", line).group(1)))
    if line.startswith("hello") and (m := re.search(r"([\d.]+)s total", line)):
        hello_py.append(float(m.group(1)))
    if line.startswith("map") and (m := re.search(r"time=([\d.]+)s", line)):
        map_py.append(float(m.group(1)))

def goal(ok): return "MET" if ok else "NOT MET"
print()
print(f"Summary (synchronous={ours['synchronous'].upper()}; load average {ours['loadAverageAtStart']:.2f} -> {ours['loadAverageAtEnd']:.2f} "
      f"during ours, {min(loads):.2f}-{max(loads):.2f} during flux-core)")
print()
print("ours vs flux-core 0.87.5 (median wall time, same machine, same run):")
if hello_py and ("hello", 1000) in cases:
    py = statistics.median(hello_py); sw = cases[("hello", 1000)]["medianSeconds"]
    r = py / sw
    print(f"  1,000 sequential hello_world: flux-core {py:.3f} s ({py:.3f} ms/run), ours {sw:.3f} s ({sw*1000:.0f} µs/run): "
          f"{r:.1f}x  (goal >= 50x: {goal(r >= 50)})")
if map_py and ("map", 1000) in cases:
    py = statistics.median(map_py); sw = cases[("map", 1000)]["medianSeconds"]
    r = py / sw
    print(f"  map over 1,000 tasks:         flux-core {py:.3f} s, ours {sw*1000:.1f} ms: {r:.0f}x  (goal >= 200x: {goal(r >= 200)})")
print()
print("ours vs raw SQLite (same rows, same transactions, through GRDB without the engine):")
for c in ours["comparisons"]:
    e = cases[(c["engine"], c["n"])]; b = cases[(c["baseline"], c["n"])]
    print(f"  {c['engine']:6} N={c['n']:>7,}: ours {e['microsecondsPerItem']:7.1f} µs/{e['unit'][:-1]}, raw {b['microsecondsPerItem']:7.1f}: "
          f"{c['wallRatio']:.2f}x wall, {c['cpuRatio']:.2f}x CPU  (goal <= 2x: {goal(c['wallRatio'] <= 2)})")
if ("map", 100000) in cases:
    rss = cases[("map", 100000)]["peakRSSMiB"]
    print()
    print(f"peak RSS, map over 100,000 tasks: {rss:.0f} MiB = {rss*1.048576:.0f} MB  (goal < 300 MB: {goal(rss*1.048576 < 300)})")
if ours["mapLinearity"]:
    print()
    print("map linearity, µs per task (wall / CPU): " + ", ".join(
        f"{p['n']:,}: {p['microsecondsPerTask']:.1f} / {p['cpuMicrosecondsPerTask']:.1f}" for p in ours["mapLinearity"]))
print()
print("all cases:")
for c in ours["cases"]:
    print(f"  {c['name']:15} N={c['n']:>7,} reps={c['repetitions']}  median {c['medianSeconds']:.3f} s  {c['perSecond']:>10,.0f} {c['unit']}/s  "
          f"{c['microsecondsPerItem']:6.1f} µs  CPU {c['cpuMicrosecondsPerItem']:6.1f} µs  tx {c['transactions']:>6,}  "
          f"RSS {c['peakRSSMiB']:5.1f} MiB  load {c['loadBefore']:.2f}")
print()
print(f"results: {out}")
PY
