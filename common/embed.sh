#!/bin/sh
# Turns the Redis function library (Lua) into a C string, so that the module
# and the router load the very same text, with the key names of cc_keys.h
# defined as Lua locals right after the library's "#!lua" line:
#     embed.sh IN.lua OUT.c
# OUT is rewritten only when its content changes, to spare recompiles.
# "embed.sh --lua IN.lua" prints the assembled Lua (for redis-cli FUNCTION
# LOAD by hand or by tests).
set -e
keys=$(dirname "$0")/cc_keys.h

assemble() {
    sed -n '1p' "$1"
    sed -n 's/^#define \(CC_[A-Z_]*\) *\("[^"]*"\).*/local \1 = \2/p' "$keys"
    sed '1d' "$1"
}

if [ "$1" = "--lua" ]; then
    assemble "$2"
    exit 0
fi

in=$1
out=$2
tmp="$out.tmp.$$"
{
    echo '/* Generated from callcenter.lua and cc_keys.h by embed.sh. */'
    echo '#include "cc_functions.h"'
    echo 'const char cc_functions_lua[] ='
    assemble "$in" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/'
    echo '    ;'
} > "$tmp"
if cmp -s "$tmp" "$out" 2>/dev/null; then
    rm -f "$tmp"
else
    mv "$tmp" "$out"
fi
