#!/usr/bin/env bash
# Runs the README's test command (`bash scripts/test.sh`) in a fresh clone of this repository's HEAD while a CPU
# burner occupies one core, N times in a row, and reports pass or fail for every run.
#
#   bash scripts/test-under-load.sh                # 3 runs
#   bash scripts/test-under-load.sh --runs 5 --keep
#
# Options:
#   --runs N        runs (default 3); the first builds everything in the clone, the later ones reuse that build
#                   (what a developer's second `bash scripts/test.sh` does), so they time the tests more than the build
#   --keep          keep the clone (and its .build) afterwards; it is removed otherwise
#   --timeout S     seconds one run may take before it is stopped and counted as failed (default 5400, CI's limit)
#   --no-burn       no CPU burner (for comparison)
#
# The clone is `git clone --no-local` of the committed state (HEAD; uncommitted changes are not in it, and nothing of
# this tree's .build is shared), in a new directory under ${TMPDIR:-/tmp}. The burner is one `yes >/dev/null`,
# pinned to core 0 with taskset when available. Each run's whole output goes to a log file in a directory that is
# kept (its path is printed); per run the script prints pass/fail, duration, the test runners' summary lines (Swift
# Testing `✔/✘ Test run with …`, XCTest `Executed N tests, with M failures …`) and, on failure, the failing tests
# (lines with `✘`) or the end of the log. Last line: `test-under-load: N passed, M failed`; exit status 0 only
# when every run passed.
#
# On exit (also Ctrl-C or SIGTERM) the burner and a run in progress are killed, the clone's PostgreSQL test server
# (scripts/postgres.sh, started by scripts/test.sh) is stopped, and the clone is removed unless --keep.
#
# TEST_UNDER_LOAD_COMMAND replaces `bash scripts/test.sh` (run in the clone): a hook to check this script itself
# without a 30-minute build, e.g. TEST_UNDER_LOAD_COMMAND='echo "✔ Test run with 1 test in 1 suite passed"'.
set -uo pipefail

runs=3
keep=0
burn=1
run_timeout=5400
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:-}"; shift 2 ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --keep) keep=1; shift ;;
    --timeout) run_timeout="${2:-}"; shift 2 ;;
    --timeout=*) run_timeout="${1#*=}"; shift ;;
    --no-burn) burn=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-under-load: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "test-under-load: --runs must be a whole number of 1 or more" >&2; exit 2 ;; esac
case "$run_timeout" in ''|*[!0-9]*|0) echo "test-under-load: --timeout must be a whole number of seconds" >&2; exit 2 ;; esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse HEAD)" || { echo "test-under-load: $repo is not a git repository" >&2; exit 2; }
command_to_run="${TEST_UNDER_LOAD_COMMAND:-bash scripts/test.sh}"

work="$(mktemp -d "${TMPDIR:-/tmp}/flux-test-under-load.XXXXXX")"
chmod 755 "$work"   # scripts/postgres.sh runs the server as the postgres user, which must reach the clone's .build
clone="$work/flux"
logs="$(mktemp -d "${TMPDIR:-/tmp}/flux-test-under-load-logs.XXXXXX")"
burner_pid=""
run_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    # `timeout` leads a process group of its own: end the whole test run.
    kill -TERM -- "-$run_pid" 2>/dev/null || kill -TERM "$run_pid" 2>/dev/null
    sleep 2
    kill -KILL -- "-$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ -n "$burner_pid" ]; then
    kill "$burner_pid" 2>/dev/null || true
    wait "$burner_pid" 2>/dev/null || true
  fi
  if [ -f "$clone/scripts/postgres.sh" ]; then
    (cd "$clone" && bash scripts/postgres.sh stop >/dev/null 2>&1) || true
    # As root, when the postgres user could not reach the clone, the cluster was kept under /var/tmp (postgres.sh).
    local side="/var/tmp/flux-test-postgres-$(printf '%s' "$clone" | cksum | cut -d' ' -f1)"
    [ -d "$side" ] && rm -rf "$side"
  fi
  if [ "$keep" -eq 1 ]; then
    echo "test-under-load: kept the clone in $clone"
  else
    rm -rf "$work"
  fi
  echo "test-under-load: logs in $logs"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "test-under-load: interrupted" >&2; exit 130' INT TERM HUP

echo "test-under-load: $runs run(s) of \`$command_to_run\` in a fresh clone of $commit"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "test-under-load: note: $repo has uncommitted changes; the clone has only what HEAD has"
fi
git clone --quiet --no-local "$repo" "$clone" && git -C "$clone" checkout --quiet --detach "$commit" || {
  echo "test-under-load: git clone failed" >&2; exit 2; }
echo "test-under-load: clone: $clone"

if [ "$burn" -eq 1 ]; then
  if command -v taskset >/dev/null 2>&1; then
    taskset -c 0 yes >/dev/null &
    burner_pid=$!
    echo "test-under-load: CPU burner: pid $burner_pid (yes >/dev/null, pinned to core 0 of $(nproc))"
  else
    yes >/dev/null &
    burner_pid=$!
    echo "test-under-load: CPU burner: pid $burner_pid (yes >/dev/null, one core's worth of $(nproc))"
  fi
else
  echo "test-under-load: no CPU burner (--no-burn)"
fi
[ "$runs" -gt 1 ] && echo "test-under-load: run 1 builds in the clone; runs 2..$runs reuse that build (.build of the clone)"

passed=0
failed=0
for i in $(seq 1 "$runs"); do
  log="$logs/run-$i.log"
  echo "--- run $i of $runs (log: $log) ---"
  started=$(date +%s)
  (cd "$clone" && exec timeout --kill-after=30 "$run_timeout" bash -c "$command_to_run") >"$log" 2>&1 </dev/null &
  run_pid=$!
  rc=0
  wait "$run_pid" || rc=$?
  run_pid=""
  seconds=$(( $(date +%s) - started ))
  duration="$((seconds / 60))m$(printf '%02d' $((seconds % 60)))s"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "run $i: PASS in $duration"
  else
    failed=$((failed + 1))
    why="exit status $rc"
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why="$why: stopped after the ${run_timeout} s timeout"
    echo "run $i: FAIL in $duration ($why)"
  fi
  summary="$(grep -aE '(✔|✘|􁁛|􀢄).*Test run with|Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | awk '!seen[$0]++' | tail -n 6)"
  if [ -n "$summary" ]; then
    printf '%s\n' "$summary" | sed 's/^/  /'
  else
    echo "  (no test runner summary in the log: the build or the setup did not get that far)"
  fi
  if [ "$rc" -ne 0 ]; then
    failing="$(grep -a '✘' "$log" | grep -av 'Test run with' | head -n 40)"
    if [ -n "$failing" ]; then
      echo "  failing:"
      printf '%s\n' "$failing" | sed 's/^/    /'
    else
      echo "  last lines of the log:"
      tail -n 25 "$log" | sed 's/^/    /'
    fi
  fi
done

echo "test-under-load: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
