#!/bin/sh
# snippets.sh CONF_DIR OUT_DIR: the nginx snippets of conf/ with the paths
# of the packages (the pages in /usr/share/callcenter/html, the snippets
# in /etc/nginx/snippets, the agents' passwords in /etc/callcenter), and
# auth-request.conf for the examples; fails if a placeholder is left.
set -eu
conf=$1
out=$2
p=/path/to/callcenter
s=/etc/nginx/snippets
x=/usr/share/doc/callcenter-router/examples
mkdir -p "$out"
for f in callcenter callcenter-http headers-pages headers-api auth-request; do
    case $f in headers-*) dest=callcenter-$f ;; *) dest=$f ;; esac
    sed -e "s|$p/html|/usr/share/callcenter/html|g" \
        -e "s|$p/conf/headers-|$s/callcenter-headers-|g" \
        -e "s|$p/conf/|$s/|g" \
        -e "s|/path/to/agents.htpasswd|/etc/callcenter/agents.htpasswd|g" \
        -e "s|load_module /path/to/.*|(libnginx-mod-http-callcenter:\
 /etc/nginx/modules-enabled/)|" \
        -e "s|conf/\(headers-[a-z]*\)\.conf|$s/callcenter-\1.conf|g" \
        -e "s|conf/\(callcenter[a-z-]*\.conf\)|$s/\1|g" \
        -e "s|conf/auth-request\.conf|$x/auth-request.conf|g" \
        -e "/^# Replace \/path\/to\/callcenter/,/ behind auth_request/c\\
# The agents' passwords: /etc/callcenter/agents.htpasswd (htpasswd(1));\\
# the caller API's log: /var/log/nginx/callcenter.log." \
        "$conf/$f.conf" > "$out/$dest.conf"
done
if grep -n '/path/to' "$out"/*.conf; then
    echo "snippets.sh: placeholder left in the snippets above" >&2
    exit 1
fi
