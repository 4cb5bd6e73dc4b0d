#!/usr/bin/env bash
# Runs integration tests with the router and nginx (master and workers)
# under valgrind memcheck; fails on any invalid access, use of uninitialised
# memory or definite leak that bench/memcheck.supp does not name (nginx's
# own, checked by hand).  Not part of ./test.sh: about a minute.
#
#     bench/memcheck.sh                 # the default files below
#     bench/memcheck.sh t/flow.t ...    # these instead
#
# The valgrind logs (one per process, nginx.PID.log and router.PID.log)
# stay in the directory printed at the end.  CC_NGINX is the nginx run.  The
# tests pass under valgrind with their usual waits; on a slower machine
# CC_TEST_TIMEOUT_SCALE=2 lengthens them (collection windows too: at 3,
# an offer expires inside replay.t's 3 s snapshot window and it fails).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    files=(t/flow.t t/replay.t t/redis_restart.t t/redis_stall.t t/reload.t
           t/hostile.t t/presence.t t/caller_api.t t/agent_api.t
           t/routers.t t/timeout.t t/status.t)
fi

command -v valgrind >/dev/null || { echo "memcheck: no valgrind" >&2; exit 2; }
build=${CC_BUILD_DIR:-build}      # as CCTest takes it
for f in "$build/ngx_http_callcenter_module.so" "$build/callcenter-router"; do
    [ -e "$f" ] || { echo "memcheck: no $f: build first" >&2; exit 2; }
done

out=$(mktemp -d /tmp/cc-memcheck-XXXXXX)
nginx=${CC_NGINX:-/usr/sbin/nginx}

# --keep-debuginfo: a worker unloads the module before its leak check
vg="valgrind --leak-check=full --show-leak-kinds=definite"
vg="$vg --errors-for-leak-kinds=definite --track-origins=yes"
vg="$vg --num-callers=40 --keep-debuginfo=yes"
vg="$vg --suppressions=$root/bench/memcheck.supp"

cat > "$out/nginx.sh" <<WRAP
#!/bin/sh
exec $vg --log-file=$out/nginx.%p.log $nginx "\$@"
WRAP
chmod +x "$out/nginx.sh"

start=$(date +%s)
CC_NGINX="$out/nginx.sh" \
CC_ROUTER_WRAPPER="$vg --log-file=$out/router.%p.log" \
CC_TEST_TIMEOUT_SCALE=${CC_TEST_TIMEOUT_SCALE:-1} \
    prove "${files[@]}"
tests=$?

# error kinds memcheck reports, whether or not the process got to its
# summary (a router killed with -9 does not)
kinds='Invalid (read|write|free)|Use of uninitialised|Conditional jump'
kinds="$kinds|Syscall param|Mismatched free|Source and destination overlap"
kinds="$kinds|definitely lost in loss record|Argument .* of function"
bad=0
logs=0
for log in "$out"/*.log; do
    [ -e "$log" ] || continue
    logs=$((logs + 1))
    if grep -Eq "==[0-9]+== ($kinds)" "$log" \
       || grep -Eq 'ERROR SUMMARY: [1-9]' "$log"
    then
        bad=$((bad + 1))
        echo "==== $log"
        grep -E -A30 "==[0-9]+== ($kinds)" "$log" | head -120
    fi
done

echo "memcheck: $logs processes checked, $bad with errors," \
     "$(( $(date +%s) - start ))s; logs in $out"
[ "$logs" -gt 0 ] || { echo "memcheck: no valgrind log" >&2; exit 1; }
[ "$tests" -eq 0 ] && [ "$bad" -eq 0 ]
