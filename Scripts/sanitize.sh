#!/usr/bin/env bash
# Runs the whole test suite under a sanitiser: AddressSanitizer (with LeakSanitizer) or
# ThreadSanitizer. Too slow for every CI run (a clean instrumented build plus the suite takes
# the better part of an hour on 2 cores), so it is run by hand before a release and its result
# recorded in docs/robustness.md.
#
#   bash Scripts/sanitize.sh address|thread [swift test flags...]    e.g. --filter LoupeImageTests
#
# Builds into .build-sanitize-KIND (the normal .build is left alone) and fails on any report:
# a sanitiser report ends the test process with a non-zero status, and the log is also searched
# for report headers in case a child process (the loupe binary the CLI tests run) reported one.
# The log is kept in .build-sanitize-KIND/test.log.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
kind=${1:?usage: bash Scripts/sanitize.sh address|thread [swift test flags]}
shift
case "$kind" in
  address)
    # LeakSanitizer runs at exit; the leaks it finds in the toolchain's libraries and in
    # ZIPFoundation are listed, each with its reason, in Scripts/lsan-suppressions.txt.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/Scripts/lsan-suppressions.txt:print_suppressions=0}
    ;;
  thread)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
    ;;
  *) echo "sanitize: unknown sanitiser '$kind' (address, thread)" >&2; exit 2 ;;
esac
# Instrumented code runs several times slower: tests that wait for a process to reach a point
# (the preview server's) wait this many times longer.
export LOUPE_TEST_TIME_SCALE=${LOUPE_TEST_TIME_SCALE:-5}
scratch=.build-sanitize-$kind
mkdir -p "$scratch"
log=$scratch/test.log
# The CLI tests run the loupe binary next to the test bundle, so it carries the sanitiser too.
swift build --scratch-path "$scratch" --sanitize="$kind" --build-tests >&2
status=0
swift test --scratch-path "$scratch" --sanitize="$kind" --skip-build "$@" 2>&1 | tee "$log" || status=$?
reports=$(grep -cE '^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer)' "$log" || true)
echo "sanitize $kind: exit status $status, $reports sanitiser reports (log: $log)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
