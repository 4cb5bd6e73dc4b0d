#!/usr/bin/env bash
# The whole suite as CI runs it: dependencies, build, unit tests (ctest,
# with a short libFuzzer pass when clang is installed), then the
# integration tests (prove -r t/).  Non-zero if anything fails.
#
#     ./test.sh              # build/, everything
#     ./test.sh --sanitize   # build-asan/: module and router with ASan and
#                            # UBSan, unit tests and t/ (but the browser);
#                            # any sanitizer report fails its test file
set -uo pipefail
cd "$(dirname "$0")"

sanitize=
if [ "${1:-}" = "--sanitize" ]; then
    sanitize=1
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--sanitize]" >&2
    exit 2
fi

fail=0
step() {
    echo "==> $*"
    if ! "$@"; then
        echo "==> FAILED: $*" >&2
        fail=1
        return 1
    fi
}

step sh scripts/install-deps.sh --tests || exit 1
if [ -n "$sanitize" ]; then
    export CC_BUILD_DIR=build-asan CC_SANITIZE=1
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    step cmake -S . -B build-asan -DCC_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug || exit 1
    step cmake --build build-asan -j2 || exit 1
    step ctest --test-dir build-asan --output-on-failure
    tests=$(ls t/*.t | grep -v '^t/browser\.t$')
    # shellcheck disable=SC2086
    step prove $tests
else
    step npm ci --no-audit --no-fund || exit 1   # playwright-core, browser
    step cmake -S . -B build || exit 1
    step cmake --build build || exit 1
    step ctest --test-dir build --output-on-failure
    step prove -r t/
fi

if [ "$fail" -ne 0 ]; then
    echo "==> test.sh: FAILED" >&2
    exit 1
fi
echo "==> test.sh: all passed"
