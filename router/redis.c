#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cc_redis_handshake.h"
#include "log.h"
#include "redis.h"

#define CC_REDIS_CONNECT_TIMEOUT  2000  /* ms */
#define CC_REDIS_COMMAND_MARGIN   5000  /* ms beyond the XREADGROUP block */

static struct timeval
cc_redis_tv(int ms)
{
    struct timeval  tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

void
cc_redis_init(cc_redis_t *r, const cc_options_t *opts)
{
    r->opts = opts;
    r->addr = opts->redis;
    r->resolved = opts->redis.unix_path[0] != '\0';
    r->ctx = NULL;
    r->backoff_ms = CC_REDIS_BACKOFF_MIN;
    r->down = 0;
}

static void
cc_redis_failed(cc_redis_t *r, const char *what, const char *why)
{
    if (!r->down) {
        r->down = 1;
        cc_log("redis down: %s: %s (retrying, backoff %d..%d ms)", what, why,
               CC_REDIS_BACKOFF_MIN, CC_REDIS_BACKOFF_MAX);
    }

    cc_redis_close(r);
}

/*
 * The host name to its first address, IPv4 first, as numeric text: once,
 * so that a reconnect never waits on DNS (and goes where the first went).
 */
static int
cc_redis_resolve(cc_redis_t *r)
{
    int               rc;
    const void       *in;
    const char       *name;
    struct addrinfo   hints, *res, *ai, *best;

    name = r->opts->redis.tcp.host;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        cc_redis_failed(r, "resolve", gai_strerror(rc));
        return -1;
    }

    best = NULL;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            best = ai;
            break;
        }
        if (ai->ai_family == AF_INET6 && best == NULL) {
            best = ai;
        }
    }

    in = best == NULL ? NULL
         : best->ai_family == AF_INET
         ? (const void *) &((struct sockaddr_in *) best->ai_addr)->sin_addr
         : (const void *) &((struct sockaddr_in6 *) best->ai_addr)->sin6_addr;

    if (in == NULL
        || inet_ntop(best->ai_family, in, r->addr.tcp.host,
                     sizeof(r->addr.tcp.host))
           == NULL)
    {
        freeaddrinfo(res);
        cc_redis_failed(r, "resolve", "no IPv4 nor IPv6 address");
        return -1;
    }

    freeaddrinfo(res);
    r->resolved = 1;

    if (strcmp(r->addr.tcp.host, name) != 0) {
        cc_log("redis %s is %s", name, r->addr.tcp.host);
    }

    return 0;
}

int
cc_redis_connect(cc_redis_t *r)
{
    int                    i;
    redisReply            *reply;
    const cc_redis_addr_t *a;
    cc_redis_handshake_t   h;

    a = &r->addr;

    if (!r->resolved && cc_redis_resolve(r) != 0) {
        return -1;
    }

    if (a->unix_path[0] != '\0') {
        r->ctx = redisConnectUnixWithTimeout(a->unix_path,
                                 cc_redis_tv(CC_REDIS_CONNECT_TIMEOUT));
    } else {
        r->ctx = redisConnectWithTimeout(a->tcp.host, a->tcp.port,
                                 cc_redis_tv(CC_REDIS_CONNECT_TIMEOUT));
    }

    if (r->ctx == NULL || r->ctx->err) {
        cc_redis_failed(r, "connect", r->ctx ? r->ctx->errstr
                                             : "out of memory");
        return -1;
    }

    if (redisSetTimeout(r->ctx, cc_redis_tv(r->opts->tick_ms
                                            + CC_REDIS_COMMAND_MARGIN))
        != REDIS_OK)
    {
        cc_redis_failed(r, "connect", "cannot set the command timeout");
        return -1;
    }

    /* not on a unix socket: it fails there, and hiredis would keep that
     * failure as the context's error */
    if (a->unix_path[0] == '\0') {
        (void) redisEnableKeepAlive(r->ctx);
    }

    cc_redis_handshake(&h, a, CC_REDIS_LINK_COMMANDS);

    for (i = 0; i < h.n; i++) {
        reply = redisCommandArgv(r->ctx, h.step[i].argc, h.step[i].argv,
                                 h.step[i].argvlen);
        if (reply == NULL) {
            cc_redis_failed(r, h.step[i].what, r->ctx->errstr[0]
                                               ? r->ctx->errstr
                                               : "no reply");
            return -1;
        }

        if (!cc_redis_handshake_ok(&h.step[i],
                                   reply->type == REDIS_REPLY_ERROR,
                                   reply->str, reply->len))
        {
            cc_redis_failed(r, h.step[i].what, reply->str);
            freeReplyObject(reply);
            return -1;
        }

        freeReplyObject(reply);
    }

    if (r->down) {
        cc_log("redis up again");
    }

    r->down = 0;
    return 0;
}

void
cc_redis_backoff(cc_redis_t *r)
{
    struct timespec  ts;

    ts.tv_sec = r->backoff_ms / 1000;
    ts.tv_nsec = (long) (r->backoff_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);

    r->backoff_ms *= 2;
    if (r->backoff_ms > CC_REDIS_BACKOFF_MAX) {
        r->backoff_ms = CC_REDIS_BACKOFF_MAX;
    }
}

redisReply *
cc_redis_command(cc_redis_t *r, int argc, const char **argv)
{
    redisReply  *reply;

    if (r->ctx == NULL) {
        return NULL;
    }

    reply = redisCommandArgv(r->ctx, argc, argv, NULL);

    if (reply == NULL) {
        cc_redis_failed(r, argv[0], r->ctx->errstr[0] ? r->ctx->errstr
                                                      : "no reply");

    } else if (reply->type != REDIS_REPLY_ERROR) {
        r->backoff_ms = CC_REDIS_BACKOFF_MIN;
    }

    return reply;
}

void
cc_redis_close(cc_redis_t *r)
{
    if (r->ctx != NULL) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
}
