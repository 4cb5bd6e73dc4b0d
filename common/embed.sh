#!/bin/sh
# Turns the Redis function library (Lua) into a C string, so that the module
# and the router load the very same text, with the key names of cc_keys.h
# defined right after the library's "#!lua" line (CC_KEY.NAME):
#     embed.sh IN.lua OUT.c OUT.h
# The library is IN.lua with each line "--#include PATH" replaced by the
# file PATH (relative to IN's directory): one source per part (lua/*.lua).
# The library is versioned by its own text: VERSION, the first 12 hex digits
# of the SHA-1 of the assembled text without a version, names the library
# "callcenter_VERSION" and (through register() in the Lua) every function
# "NAME_VERSION", so old and new code run side by side in one Redis during
# a rolling upgrade (docs/DESIGN.md).  OUT.h defines CC_FUNCTIONS_VERSION.
# OUT.c and OUT.h are rewritten only when their content changes, to spare
# recompiles.
#     embed.sh --lua [IN.lua]      the assembled Lua (redis-cli, tests)
#     embed.sh --version [IN.lua]  VERSION
set -e
here=$(dirname "$0")
keys=$here/cc_keys.h

# the library text for version $2 ("" for hashing)
lua() {
    sed -n "1s/\$/_$2/p" "$1"
    echo "local CC_VERSION = '$2'"
    # the key names in one table, CC_KEY.NAME for CC_KEY_NAME: a Lua
    # function holds at most 200 locals, and the library's main chunk is one
    echo 'local CC_KEY = {'
    sed -n 's/^#define CC_KEY_\([A-Z_]*\) *\("[^"]*"\).*/    \1 = \2,/p' "$keys"
    echo '}'
    sed -n 's/^#define \(CC_[A-Z_]*\) *\("[^"]*"\).*/local \1 = \2/p' "$keys" |
        grep -v '^local CC_KEY_' || true
    # cc_site(P): every "cc:..." key name with the prefix P in place of
    # "cc:" (register() sets P, from the key each FCALL declares)
    echo 'local function cc_site(p)'
    sed -n \
        's/^#define CC_KEY_\([A-Z_]*\) *"cc:\([^"]*\)".*/    CC_KEY.\1 = p .. "\2"/p' \
        "$keys"
    echo 'end'
    sed '1d' "$1" | while IFS= read -r line; do
        case "$line" in
        "--#include "*) cat "$(dirname "$1")/${line#--#include }" ;;
        *) printf '%s\n' "$line" ;;
        esac
    done
}

version() {
    if command -v sha1sum > /dev/null; then
        lua "$1" "" | sha1sum | cut -c1-12
    else
        lua "$1" "" | shasum -a 1 | cut -c1-12     # BSD, macOS
    fi
}

# writes stdin to $1 unless $1 holds it already
update() {
    tmp="$1.tmp.$$"
    cat > "$tmp"
    if cmp -s "$tmp" "$1" 2>/dev/null; then
        rm -f "$tmp"
    else
        mv "$tmp" "$1"
    fi
}

case "$1" in
--lua)
    in=${2:-$here/callcenter.lua}
    lua "$in" "$(version "$in")"
    exit 0
    ;;
--version)
    version "${2:-$here/callcenter.lua}"
    exit 0
    ;;
esac

if [ $# -ne 3 ]; then
    echo "usage: embed.sh IN.lua OUT.c OUT.h | --lua [IN] | --version [IN]" >&2
    exit 2
fi
in=$1
v=$(version "$in")
{
    echo '/* Generated from callcenter.lua and cc_keys.h by embed.sh. */'
    echo '#include "cc_functions.h"'
    echo 'const char cc_functions_lua[] ='
    lua "$in" "$v" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' \
        -e 's/$/\\n"/'
    echo '    ;'
} | update "$2"
{
    echo '/* Generated from callcenter.lua and cc_keys.h by embed.sh. */'
    echo "#define CC_FUNCTIONS_VERSION  \"$v\""
} | update "$3"
