#!/usr/bin/env bash
# The whole suite as CI runs it: dependencies, build, unit tests (ctest),
# then the integration tests (prove -r t/).  Non-zero if anything fails.
set -uo pipefail
cd "$(dirname "$0")"

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
step npm ci --no-audit --no-fund || exit 1   # playwright-core, browser tests
step cmake -S . -B build || exit 1
step cmake --build build || exit 1
step ctest --test-dir build --output-on-failure
step prove -r t/

if [ "$fail" -ne 0 ]; then
    echo "==> test.sh: FAILED" >&2
    exit 1
fi
echo "==> test.sh: all passed"
