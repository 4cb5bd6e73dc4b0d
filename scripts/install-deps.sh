#!/bin/sh
# Installs what building and running callcenter needs on Debian 12, and
# with --tests what its test suite needs too (Chromium, Node.js, clang and
# libFuzzer's runtime for scripts/fuzz.sh, valgrind for bench/memcheck.sh,
# Nchan for t/nchan.t and bench/compare.pl, which load it explicitly: its
# modules-enabled link is for the system nginx, which tests never use; wrk
# for bench/compare.pl's intake figure; the Debian packaging
# tools for t/debian.t, Prometheus and promtool for t/metrics.t,
# redis-sentinel for t/sentinel.t).
# Idempotent: does nothing when every package is present; never starts
# a service (tests start their own redis-server and nginx).
set -eu

# tzdata: the router turns business hours into times with it
pkgs="nginx nginx-dev redis-server libhiredis-dev libcjson-dev cmake gcc
make pkg-config perl curl tzdata"
if [ "${1:-}" = "--tests" ]; then
    pkgs="$pkgs chromium fonts-liberation clang libclang-rt-14-dev valgrind"
    pkgs="$pkgs libnginx-mod-nchan wrk"
    pkgs="$pkgs build-essential debhelper dpkg-dev help2man lintian"
    pkgs="$pkgs prometheus redis-sentinel"
    # node may come from elsewhere (nodesource bundles npm): only if missing
    command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
    command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null \
            | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all present"
    exit 0
fi

echo "install-deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root to install:$missing" >&2
    exit 1
fi

# no service is started by the packages' postinst scripts
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    $missing
