#include "cc_redis_sentinel.h"

#include <arpa/inet.h>
#include <string.h>

void
cc_redis_sentinel_init(cc_redis_sentinel_t *s, const cc_redis_addr_t *a)
{
    memset(s, 0, sizeof(*s));
    s->addr = a;

    s->ask.what = "SENTINEL get-master-addr-by-name";
    s->ask.argc = 3;
    s->ask.argv[0] = "SENTINEL";
    s->ask.argv[1] = "get-master-addr-by-name";
    s->ask.argv[2] = a->master;

    s->ask.argvlen[0] = strlen(s->ask.argv[0]);
    s->ask.argvlen[1] = strlen(s->ask.argv[1]);
    s->ask.argvlen[2] = strlen(s->ask.argv[2]);
}

const cc_redis_endpoint_t *
cc_redis_sentinel_current(const cc_redis_sentinel_t *s)
{
    return &s->addr->sentinels[s->current];
}

/* numeric only: a name would need DNS where none may wait */
static const char *
cc_redis_numeric(const char *host, size_t hlen, const char *port,
    size_t plen, cc_redis_endpoint_t *e)
{
    int            port_n;
    unsigned char  buf[16];
    char           text[CC_REDIS_HOST_MAX + 1];

    if (hlen == 0 || hlen > 45 || memchr(host, '\0', hlen) != NULL) {
        return "the master's address is not an IP address";
    }

    memcpy(text, host, hlen);
    text[hlen] = '\0';

    if (inet_pton(AF_INET, text, buf) != 1
        && inet_pton(AF_INET6, text, buf) != 1)
    {
        return "the master's address is not an IP address";
    }

    if (cc_redis_addr_port(port, plen, &port_n) != 0) {
        return "the master's port is invalid";
    }

    memcpy(e->host, text, hlen + 1);
    e->port = port_n;

    return NULL;
}

const char *
cc_redis_sentinel_reply(cc_redis_sentinel_t *s, size_t n, const char *host,
    size_t hlen, const char *port, size_t plen)
{
    if (n == 0) {
        return "the sentinel does not know this master";
    }

    if (n != 2 || host == NULL || port == NULL) {
        return "not an [ip, port] answer";
    }

    return cc_redis_numeric(host, hlen, port, plen, &s->master);
}

int
cc_redis_sentinel_failed(cc_redis_sentinel_t *s)
{
    s->current = (s->current + 1) % s->addr->nsentinels;
    s->failed++;

    return s->failed % s->addr->nsentinels == 0;
}

void
cc_redis_sentinel_found(cc_redis_sentinel_t *s)
{
    s->failed = 0;
}

int
cc_redis_reply_moved(const char *str, size_t len, cc_redis_endpoint_t *e)
{
    int          kind;
    const char  *p, *end, *colon;

    if (len > 6 && memcmp(str, "MOVED ", 6) == 0) {
        kind = CC_REDIS_MOVED;
        p = str + 6;

    } else if (len > 4 && memcmp(str, "ASK ", 4) == 0) {
        kind = CC_REDIS_ASK;
        p = str + 4;

    } else {
        return 0;
    }

    /* SLOT, then HOST:PORT, the port after the last ':' (IPv6) */
    end = str + len;
    p = memchr(p, ' ', end - p);
    if (p == NULL) {
        return 0;
    }

    p++;

    for (colon = end; colon > p && colon[-1] != ':'; colon--) {
        /* void */
    }

    if (colon == p
        || cc_redis_numeric(p, colon - 1 - p, colon, end - colon, e) != NULL)
    {
        return 0;
    }

    return kind;
}

int
cc_redis_reply_relink(const char *str, size_t len)
{
    static const char  *words[] = {
        "READONLY", "MASTERDOWN", "LOADING", "UNBLOCKED"
    };
    size_t              i, n;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        n = strlen(words[i]);

        if (len >= n && memcmp(str, words[i], n) == 0
            && (len == n || str[n] == ' '))
        {
            return 1;
        }
    }

    return 0;
}
