#include "cc_redis_addr.h"

#include <stdio.h>
#include <string.h>

#include "cc_validate.h"

#define CC_IPV6_MAX  45     /* INET6_ADDRSTRLEN less its NUL */

void
cc_redis_addr_init(cc_redis_addr_t *a)
{
    memset(a, 0, sizeof(*a));
    strcpy(a->tcp.host, "127.0.0.1");
    a->tcp.port = CC_REDIS_PORT;
}

static int
cc_redis_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}

/* [0-9]{1,digits} within min..max */
static int
cc_redis_number(const char *s, size_t len, size_t digits, long min, long max,
    int *out)
{
    long    v;
    size_t  i;

    if (len == 0 || len > digits) {
        return -1;
    }

    v = 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }

    if (v < min || v > max) {
        return -1;
    }

    *out = (int) v;
    return 0;
}

int
cc_redis_addr_port(const char *s, size_t len, int *port)
{
    return cc_redis_number(s, len, 5, 1, 65535, port);
}

/* [A-Za-z0-9_.-]{1,max}, the first a letter or digit */
static int
cc_redis_name(const char *s, size_t len, size_t max)
{
    size_t  i;

    if (len == 0 || len > max || !cc_redis_alnum(s[0])) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (!cc_redis_alnum(s[i]) && s[i] != '_' && s[i] != '.'
            && s[i] != '-')
        {
            return 0;
        }
    }

    return 1;
}

/* host[:port] or [ipv6][:port] */
static const char *
cc_redis_endpoint(cc_redis_endpoint_t *e, const char *s, size_t len,
    int default_port)
{
    size_t       i, hlen;
    const char  *host, *end, *port;

    end = s + len;

    if (len && s[0] == '[') {
        host = s + 1;
        port = memchr(s, ']', len);
        if (port == NULL) {
            return "unterminated \"[\"";
        }

        hlen = (size_t) (port - host);
        if (hlen < 2 || hlen > CC_IPV6_MAX || memchr(host, ':', hlen) == NULL)
        {
            return "invalid IPv6 address";
        }

        for (i = 0; i < hlen; i++) {
            if (!((host[i] >= '0' && host[i] <= '9')
                  || (host[i] >= 'a' && host[i] <= 'f')
                  || (host[i] >= 'A' && host[i] <= 'F')
                  || host[i] == ':' || host[i] == '.'))
            {
                return "invalid IPv6 address";
            }
        }

        port++;
        if (port < end && *port != ':') {
            return "junk after \"]\"";
        }

    } else {
        host = s;
        port = memchr(s, ':', len);
        if (port == NULL) {
            port = end;
        }

        hlen = (size_t) (port - host);
        if (!cc_redis_name(host, hlen, CC_REDIS_HOST_MAX)) {
            return "invalid host name";
        }
    }

    memcpy(e->host, host, hlen);
    e->host[hlen] = '\0';
    e->port = default_port;

    if (port < end
        && cc_redis_addr_port(port + 1, (size_t) (end - port - 1), &e->port)
           != 0)
    {
        return "invalid port";
    }

    return NULL;
}

const char *
cc_redis_addr_parse(cc_redis_addr_t *a, const char *s, size_t len)
{
    if (a->given & CC_REDIS_GIVEN_ADDRESS) {
        return "duplicate address";
    }

    /* a bare "unix" too: as a host it would format to "unix:6379", which
     * reads back as a socket path */
    if (len >= 4 && memcmp(s, "unix", 4) == 0 && (len == 4 || s[4] == ':')) {
        if (len <= 5 || s[5] != '/') {
            return "unix: needs an absolute path";
        }

        if (!cc_valid_text(s + 5, len - 5, CC_REDIS_PATH_MAX)) {
            return "invalid unix socket path";
        }

        memcpy(a->unix_path, s + 5, len - 5);
        a->unix_path[len - 5] = '\0';

    } else {
        const char  *err = cc_redis_endpoint(&a->tcp, s, len, CC_REDIS_PORT);

        if (err != NULL) {
            return err;
        }

        a->unix_path[0] = '\0';
    }

    a->given |= CC_REDIS_GIVEN_ADDRESS;
    return NULL;
}

static const char *
cc_redis_sentinels(cc_redis_addr_t *a, const char *s, size_t len)
{
    const char  *end, *comma, *err;

    end = s + len;

    for (a->nsentinels = 0; ; s = comma + 1) {
        if (a->nsentinels == CC_REDIS_SENTINELS_MAX) {
            return "too many sentinels";
        }

        comma = memchr(s, ',', (size_t) (end - s));
        if (comma == NULL) {
            comma = end;
        }

        err = cc_redis_endpoint(&a->sentinels[a->nsentinels], s,
                                (size_t) (comma - s), CC_REDIS_SENTINEL_PORT);
        if (err != NULL) {
            return err;
        }

        a->nsentinels++;

        if (comma == end) {
            return NULL;
        }
    }
}

static const struct {
    const char  *name;
    unsigned     bit;
} cc_redis_params[] = {
    { "password", CC_REDIS_GIVEN_PASSWORD },
    { "db", CC_REDIS_GIVEN_DB },
    { "sentinel", CC_REDIS_GIVEN_SENTINEL },
    { "master", CC_REDIS_GIVEN_MASTER },
    { "replicas", CC_REDIS_GIVEN_REPLICAS },
};

const char *
cc_redis_addr_set(cc_redis_addr_t *a, const char *name, const char *value,
    size_t len)
{
    size_t       i;
    unsigned     bit;
    const char  *err;

    bit = 0;
    for (i = 0; i < sizeof(cc_redis_params) / sizeof(cc_redis_params[0]);
         i++)
    {
        if (strcmp(name, cc_redis_params[i].name) == 0) {
            bit = cc_redis_params[i].bit;
        }
    }

    if (bit == 0) {
        return "unknown parameter";
    }

    if (a->given & bit) {
        return "duplicate parameter";
    }

    switch (bit) {

    case CC_REDIS_GIVEN_PASSWORD:
        if (!cc_valid_text(value, len, CC_REDIS_PASSWORD_MAX)) {
            return "invalid password";
        }
        memcpy(a->password, value, len);
        a->password[len] = '\0';
        break;

    case CC_REDIS_GIVEN_DB:
        if (cc_redis_number(value, len, 7, 0, CC_REDIS_DB_MAX, &a->db) != 0) {
            return "invalid db number";
        }
        break;

    case CC_REDIS_GIVEN_SENTINEL:
        err = cc_redis_sentinels(a, value, len);
        if (err != NULL) {
            return err;
        }
        break;

    case CC_REDIS_GIVEN_MASTER:
        if (!cc_redis_name(value, len, CC_REDIS_MASTER_MAX)) {
            return "invalid master name";
        }
        memcpy(a->master, value, len);
        a->master[len] = '\0';
        break;

    default: /* CC_REDIS_GIVEN_REPLICAS */
        if (cc_redis_number(value, len, 2, 0, CC_REDIS_REPLICAS_MAX,
                            &a->replicas)
            != 0)
        {
            return "invalid replicas number";
        }
    }

    a->given |= bit;
    return NULL;
}

const char *
cc_redis_addr_param(cc_redis_addr_t *a, const char *s, size_t len)
{
    char         name[16];
    const char  *eq;
    size_t       n;

    eq = memchr(s, '=', len);
    if (eq == NULL) {
        return "want NAME=VALUE";
    }

    n = (size_t) (eq - s);
    if (n == 0 || n >= sizeof(name) || memchr(s, '\0', n) != NULL) {
        return "unknown parameter";
    }

    memcpy(name, s, n);
    name[n] = '\0';

    return cc_redis_addr_set(a, name, eq + 1, len - n - 1);
}

const char *
cc_redis_addr_check(const cc_redis_addr_t *a)
{
    if (a->given & (CC_REDIS_GIVEN_SENTINEL | CC_REDIS_GIVEN_MASTER)) {
        if (a->given & CC_REDIS_GIVEN_ADDRESS) {
            return "an address and sentinel= exclude each other";
        }

        if (!(a->given & CC_REDIS_GIVEN_SENTINEL)
            || !(a->given & CC_REDIS_GIVEN_MASTER))
        {
            return "sentinel= and master= go together";
        }

    }

    return NULL;
}

void
cc_redis_addr_format(const cc_redis_addr_t *a, char *out)
{
    int     i, n;
    size_t  len;

    if (a->given & CC_REDIS_GIVEN_SENTINEL) {
        len = 0;
        n = snprintf(out, CC_REDIS_ADDR_TEXT_MAX + 1, "master %s sentinel=",
                     a->master);

        /* as much as fits: for logs */
        for (i = 0; i < a->nsentinels && n >= 0; i++) {
            len += (size_t) n;
            if (len >= CC_REDIS_ADDR_TEXT_MAX) {
                return;
            }

            n = snprintf(out + len, CC_REDIS_ADDR_TEXT_MAX + 1 - len,
                         strchr(a->sentinels[i].host, ':') ? "%s[%s]:%d"
                                                           : "%s%s:%d",
                         i ? "," : "", a->sentinels[i].host,
                         a->sentinels[i].port);
        }

    } else if (a->unix_path[0] != '\0') {
        snprintf(out, CC_REDIS_ADDR_TEXT_MAX + 1, "unix:%s", a->unix_path);

    } else if (strchr(a->tcp.host, ':') != NULL) {
        snprintf(out, CC_REDIS_ADDR_TEXT_MAX + 1, "[%s]:%d", a->tcp.host,
                 a->tcp.port);

    } else {
        snprintf(out, CC_REDIS_ADDR_TEXT_MAX + 1, "%s:%d", a->tcp.host,
                 a->tcp.port);
    }
}
