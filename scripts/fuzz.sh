#!/usr/bin/env bash
# Builds the libFuzzer harnesses of common/fuzz (clang, ASan, UBSan) into
# build-fuzz/ and runs each: first every regression input (crashes found
# once, kept in common/fuzz/regressions/NAME/), then SECONDS of fuzzing
# (default 30) from the seed corpus.  Non-zero on any crash, leak, UB or
# timeout; a new crash input is written to build-fuzz/crashes/NAME/ to be
# added to regressions/ with its fix.
#
#     scripts/fuzz.sh            # 30 s per harness (ctest label "fuzz")
#     scripts/fuzz.sh 600        # longer
#     CC_FUZZ_HARNESSES=sse scripts/fuzz.sh 60
#
# New corpus entries found on the way stay in build-fuzz/corpus/NAME/, the
# seeds in common/fuzz/corpus/NAME/ are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-30}
build=${CC_FUZZ_BUILD:-$root/build-fuzz}
harnesses=${CC_FUZZ_HARNESSES:-validate sse redis}

command -v clang >/dev/null || { echo "fuzz: no clang" >&2; exit 2; }

mkdir -p "$build"
CC=clang cmake -S common/fuzz -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    > "$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; exit 1; }
cmake --build "$build" -j2 > "$build/build.log" 2>&1 \
    || { cat "$build/build.log" >&2; exit 1; }

fail=0
for name in $harnesses; do
    bin=$build/fuzz_$name
    seeds=$root/common/fuzz/corpus/$name
    regressions=$root/common/fuzz/regressions/$name
    work=$build/corpus/$name
    crashes=$build/crashes/$name
    mkdir -p "$work" "$crashes"

    # every regression and seed input, once
    if ! "$bin" -runs=0 "$regressions" "$seeds" \
        > "$build/$name.regress.log" 2>&1
    then
        echo "fuzz $name: a regression or seed input fails:" >&2
        tail -40 "$build/$name.regress.log" >&2
        fail=1
        continue
    fi

    # -max_total_time bounds the run; -timeout makes a hang a failure
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
        -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$work" "$seeds" \
        > "$build/$name.log" 2>&1
    then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
            "$build/$name.log")
        echo "fuzz $name: ${runs:-?} runs in ${seconds}s, no crash"
    else
        echo "fuzz $name: FAILED (input in $crashes/):" >&2
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written' \
            "$build/$name.log" | head -20 >&2
        fail=1
    fi
done
exit $fail
