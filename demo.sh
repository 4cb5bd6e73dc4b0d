#!/usr/bin/env bash
# demo.sh: the whole of callcenter on this machine, in one command.
#
# Installs the build and run dependencies (scripts/install-deps.sh), builds,
# then runs Redis, a router and nginx (with the module) in build/demo/ and
# prints where to click and the agents' passwords.  Ctrl-C stops exactly
# what it started.  Run as root on Debian 12 (the install step needs it).
#
#   CC_DEMO_PORT        HTTP port             (default 8080)
#   CC_DEMO_REDIS_PORT  Redis port            (default 6380)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${CC_DEMO_PORT:-8080}
redis_port=${CC_DEMO_REDIS_PORT:-6380}
build="$root/build"
run="$build/demo"
agents_file="$root/conf/agents.json"
queues_file="$root/conf/queues.json"
pids=()
names=()

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# up to 15 s for "$@" to succeed, while process $pid ($name) still lives
wait_for() {
    local pid=$1 name=$2 log=$3
    shift 3
    for _ in $(seq 150); do
        "$@" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$log" >&2 || true
            die "$name exited at start; its log: $log"
        fi
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    die "$name did not come up in 15 s; its log: $log"
}

stop() {
    local i
    trap - INT TERM EXIT
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        if kill -0 "${pids[i]}" 2>/dev/null; then
            kill -TERM "${pids[i]}" 2>/dev/null || true
            wait "${pids[i]}" 2>/dev/null || true
        fi
    done
    [ ${#pids[@]} -eq 0 ] || say "stopped ${names[*]}"
}

start() {
    local name=$1 log=$2
    shift 2
    "$@" >>"$log" 2>&1 &
    pids+=("$!")
    names+=("$name")
}

for p in "$port" "$redis_port"; do
    [[ $p =~ ^[0-9]+$ ]] && [ "$p" -gt 0 ] && [ "$p" -lt 65536 ] \
        || die "bad port number: $p"
done
[ "$port" != "$redis_port" ] || die "CC_DEMO_PORT and CC_DEMO_REDIS_PORT must differ"

for p in "$port" "$redis_port"; do
    if listening "$p"; then
        die "port $p on 127.0.0.1 is busy: stop what listens there, or set" \
            "CC_DEMO_PORT / CC_DEMO_REDIS_PORT to free ports"
    fi
done

say "installing dependencies"
bash "$root/scripts/install-deps.sh"

say "building"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build"

say "preparing $run"
rm -rf "$run"
mkdir -p "$run/tmp" "$run/redis"

# One random password per agent of agents.json.
mapfile -t agents < <(grep -o '"id"[[:space:]]*:[[:space:]]*"[A-Za-z0-9_-]*"' "$agents_file" \
    | sed 's/.*"\([^"]*\)"$/\1/')
[ ${#agents[@]} -gt 0 ] || die "no agent id found in $agents_file"
passwords=()
: >"$run/agents.htpasswd"
for a in "${agents[@]}"; do
    pw=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
    passwords+=("$pw")
    if command -v openssl >/dev/null; then
        printf '%s:%s\n' "$a" "$(openssl passwd -6 "$pw")" >>"$run/agents.htpasswd"
    else
        printf '%s:{PLAIN}%s\n' "$a" "$pw" >>"$run/agents.htpasswd"
    fi
done

# nginx's workers read the html and the password file: as nobody when
# nobody can read this checkout, else as the user running the demo.
user=$(id -un)
if [ "$(id -u)" -eq 0 ] && runuser -u nobody -- test -r "$root/html/agent.html" 2>/dev/null; then
    user="nobody nogroup"
    chgrp nogroup "$run/agents.htpasswd"
    chmod 640 "$run/agents.htpasswd"
else
    chmod 600 "$run/agents.htpasswd"
fi

# conf/*.conf with their paths filled in (they include each other)
for f in callcenter.conf callcenter-http.conf headers-pages.conf headers-api.conf; do
    sed -e "s|/path/to/callcenter/conf/|$run/|g" \
        -e "s|/path/to/callcenter/html|$root/html|g" \
        -e "s|/path/to/agents.htpasswd|$run/agents.htpasswd|g" \
        -e "s|/var/log/nginx/callcenter.log|$run/callcenter.log|g" \
        "$root/conf/$f" >"$run/$f"
done
sed -e "s|@MODULE@|$build/ngx_http_callcenter_module.so|g" \
    -e "s|@RUN@|$run|g" -e "s|@USER@|$user|g" -e "s|@PORT@|$port|g" \
    -e "s|@REDIS_PORT@|$redis_port|g" -e "s|@HTML@|$root/html|g" \
    "$root/conf/demo.conf.in" >"$run/nginx.conf"

trap 'exit 130' INT
trap 'exit 143' TERM
trap stop EXIT

say "starting redis-server on 127.0.0.1:$redis_port"
start redis-server "$run/redis.log" redis-server --bind 127.0.0.1 --port "$redis_port" \
    --save '' --appendonly no --dir "$run/redis" --daemonize no
wait_for "${pids[-1]}" redis-server "$run/redis.log" \
    sh -c "redis-cli -h 127.0.0.1 -p $redis_port ping 2>/dev/null | grep -q PONG"

say "starting callcenter-router"
start callcenter-router "$run/router.log" "$build/callcenter-router" \
    --redis "127.0.0.1:$redis_port" --agents "$agents_file" \
    --queues "$queues_file"
wait_for "${pids[-1]}" callcenter-router "$run/router.log" \
    sh -c "[ \"\$(redis-cli -h 127.0.0.1 -p $redis_port scard cc:agents 2>/dev/null)\" -gt 0 ]"

say "starting nginx on 127.0.0.1:$port"
/usr/sbin/nginx -t -q -p "$run/" -e "$run/error.log" -c "$run/nginx.conf" \
    || die "nginx refused $run/nginx.conf (see above)"
start nginx "$run/error.log" /usr/sbin/nginx -p "$run/" -e "$run/error.log" -c "$run/nginx.conf"
wait_for "${pids[-1]}" nginx "$run/error.log" listening "$port"

base="http://127.0.0.1:$port"
cat <<EOT

  callcenter demo is running (logs in $run/)

  shop         $base/           (the "Talk to us" button, and a plain link)
  dashboard    $base/agent/     (log in as an agent below)
  wallboard    $base/callcenter/wallboard.html
  status       $base/callcenter/status

  agents
EOT
for i in "${!agents[@]}"; do
    printf '    %-12s password %s\n' "${agents[i]}" "${passwords[i]}"
done
printf '\n  Ctrl-C stops it.\n\n'

set +e
wait -n "${pids[@]}"
status=$?
for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
        echo "demo.sh: ${names[i]} stopped (status $status); its log is in $run/" >&2
    fi
done
exit 1
