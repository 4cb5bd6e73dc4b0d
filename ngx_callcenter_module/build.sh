#!/usr/bin/env bash
# Builds the dynamic module against Debian's nginx-dev the way the package
# expects: its configure with its own flags plus --with-compat, objects in
# our build directory.  build.sh REPO_ROOT BUILD_DIR
set -euo pipefail
root=$(cd "$1" && pwd)
build=$(mkdir -p "$2" && cd "$2" && pwd)
src=/usr/share/nginx/src
objs="$build/nginx"

if [ ! -f "$src/conf_flags" ]; then
    echo "build.sh: $src/conf_flags not found: apt-get install nginx-dev" >&2
    exit 1
fi

# CC_MODULE_CC_OPT, CC_MODULE_LD_OPT: more flags (the sanitizer build)
extra=()
if [ -n "${CC_MODULE_CC_OPT:-}" ]; then
    extra+=(--with-cc-opt="$CC_MODULE_CC_OPT")
fi
if [ -n "${CC_MODULE_LD_OPT:-}" ]; then
    extra+=(--with-ld-opt="$CC_MODULE_LD_OPT")
fi

# configure again only when the module's build file changed
if [ ! -f "$objs/Makefile" ] || [ "$root/config" -nt "$objs/Makefile" ]; then
    cd "$src"
    . ./conf_flags
    ./configure "${NGX_CONF_FLAGS[@]}" --with-compat \
        --add-dynamic-module="$root" --builddir="$objs" "${extra[@]}" \
        > "$build/nginx-configure.log"
fi

sh "$root/common/embed.sh" "$root/common/callcenter.lua" \
    "$objs/addon/callcenter_gen/cc_functions.c" \
    "$objs/addon/callcenter_gen/cc_functions_version.h"
# the Makefile knows nothing of the export map: link again when it changed
map="$root/ngx_callcenter_module/ngx_http_callcenter_module.map"
if [ "$map" -nt "$objs/ngx_http_callcenter_module.so" ]; then
    rm -f "$objs/ngx_http_callcenter_module.so"
fi
make -s -f "$objs/Makefile" -C "$src" modules
# a new file, renamed into place: running nginx keeps its mapping of the old
cp "$objs/ngx_http_callcenter_module.so" "$build/ngx_http_callcenter_module.so.new"
mv -f "$build/ngx_http_callcenter_module.so.new" "$build/ngx_http_callcenter_module.so"
