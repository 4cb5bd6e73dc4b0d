#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cc_redis_handshake.h"
#include "log.h"
#include "redis.h"

#define CC_REDIS_CONNECT_TIMEOUT  2000  /* ms */
#define CC_REDIS_COMMAND_MARGIN   5000  /* ms beyond the XREADGROUP block */
#define CC_REDIS_SENTINEL_TIMEOUT 500   /* ms, connect and answer: the next
                                         * sentinel rather than a long wait */

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
    r->resolved = opts->redis.unix_path[0] != '\0'
                  || (opts->redis.given & CC_REDIS_GIVEN_SENTINEL);
    r->sentinels_resolved = 0;
    r->ctx = NULL;
    r->backoff_ms = CC_REDIS_BACKOFF_MIN;
    r->down = 0;
    r->master[0] = '\0';

    /* both fit: --site is at most CC_SITE_MAX bytes (options.c) */
    (void) cc_site_anchor(r->site_key, sizeof(r->site_key), opts->site);
    (void) cc_site_key(r->work_key, sizeof(r->work_key), opts->site,
                       CC_KEY_WORK);

    if (opts->redis.given & CC_REDIS_GIVEN_SENTINEL) {
        cc_redis_sentinel_init(&r->sentinel, &r->addr);
    }
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
 * A host name (of the address or a sentinel) to its first address, IPv4
 * first, as numeric text into e: once, so that a reconnect never waits on
 * DNS (and goes where the first went).
 */
static int
cc_redis_resolve(cc_redis_t *r, const char *name, cc_redis_endpoint_t *e)
{
    int               rc;
    const void       *in;
    struct addrinfo   hints, *res, *ai, *best;

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
        || inet_ntop(best->ai_family, in, e->host, sizeof(e->host)) == NULL)
    {
        freeaddrinfo(res);
        cc_redis_failed(r, "resolve", "no IPv4 nor IPv6 address");
        return -1;
    }

    freeaddrinfo(res);

    if (strcmp(e->host, name) != 0) {
        cc_log("redis %s is %s", name, e->host);
    }

    return 0;
}

static redisContext *
cc_redis_open(cc_redis_t *r, const cc_redis_endpoint_t *e, int timeout_ms,
    const char *what)
{
    redisContext  *ctx;

    ctx = redisConnectWithTimeout(e->host, e->port, cc_redis_tv(timeout_ms));

    if (ctx == NULL || ctx->err) {
        cc_redis_failed(r, what, ctx ? ctx->errstr : "out of memory");
        if (ctx != NULL) {
            redisFree(ctx);
        }
        return NULL;
    }

    return ctx;
}

/*
 * Asks the current sentinel where the master is (r->sentinel.master):
 * 0, or -1 (logged once per outage).
 */
static int
cc_redis_ask(cc_redis_t *r)
{
    int                   i;
    const char           *why;
    redisReply           *reply, *host, *port;
    redisContext         *ctx;
    cc_redis_endpoint_t  *e;

    i = r->sentinel.current;
    e = &r->addr.sentinels[i];

    if (!(r->sentinels_resolved & (1u << i))) {
        if (cc_redis_resolve(r, r->opts->redis.sentinels[i].host, e) != 0) {
            return -1;
        }
        r->sentinels_resolved |= 1u << i;
    }

    ctx = cc_redis_open(r, e, CC_REDIS_SENTINEL_TIMEOUT, "sentinel");
    if (ctx == NULL) {
        return -1;
    }

    reply = NULL;
    why = "cannot set the timeout";

    if (redisSetTimeout(ctx, cc_redis_tv(CC_REDIS_SENTINEL_TIMEOUT))
        == REDIS_OK)
    {
        reply = redisCommandArgv(ctx, r->sentinel.ask.argc,
                                 r->sentinel.ask.argv,
                                 r->sentinel.ask.argvlen);
        why = ctx->errstr[0] ? ctx->errstr : "no reply";
    }

    if (reply != NULL) {
        host = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
               && reply->element[0]->type == REDIS_REPLY_STRING
               ? reply->element[0] : NULL;
        port = reply->type == REDIS_REPLY_ARRAY && reply->elements > 1
               && reply->element[1]->type == REDIS_REPLY_STRING
               ? reply->element[1] : NULL;

        why = cc_redis_sentinel_reply(&r->sentinel,
                     reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0,
                     host ? host->str : NULL, host ? host->len : 0,
                     port ? port->str : NULL, port ? port->len : 0);

        freeReplyObject(reply);
    }

    redisFree(ctx);

    if (why != NULL) {
        cc_redis_failed(r, "sentinel", why);
        return -1;
    }

    return 0;
}

/* the handshake on r->ctx: 0, or -1 (dropped) */
static int
cc_redis_handshake_run(cc_redis_t *r)
{
    int                    i, ok;
    redisReply            *reply, *first;
    cc_redis_handshake_t   h;

    cc_redis_handshake(&h, &r->addr, CC_REDIS_LINK_COMMANDS);

    for (i = 0; i < h.n; i++) {
        reply = redisCommandArgv(r->ctx, h.step[i].argc, h.step[i].argv,
                                 h.step[i].argvlen);
        if (reply == NULL) {
            cc_redis_failed(r, h.step[i].what, r->ctx->errstr[0]
                                               ? r->ctx->errstr
                                               : "no reply");
            return -1;
        }

        /* ROLE answers an array, its first element the role */
        first = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
                && reply->element[0]->type == REDIS_REPLY_STRING
                ? reply->element[0] : reply;

        ok = cc_redis_handshake_ok(&h.step[i],
                                   reply->type == REDIS_REPLY_ERROR,
                                   first->str, first->len);

        if (!ok) {
            cc_redis_failed(r, h.step[i].what,
                            first->str ? first->str : "not a master");
            freeReplyObject(reply);
            return -1;
        }

        freeReplyObject(reply);
    }

    return 0;
}

/* one attempt at the master the address or a sentinel names */
static int
cc_redis_connect_once(cc_redis_t *r)
{
    int                    sentinel;
    char                   text[CC_REDIS_ADDR_TEXT_MAX + 1];
    const cc_redis_addr_t *a;

    a = &r->addr;
    sentinel = (a->given & CC_REDIS_GIVEN_SENTINEL) != 0;

    if (sentinel) {
        if (cc_redis_ask(r) != 0) {
            return -1;
        }

        r->ctx = cc_redis_open(r, &r->sentinel.master,
                               CC_REDIS_CONNECT_TIMEOUT, "connect");

    } else if (a->unix_path[0] != '\0') {
        r->ctx = redisConnectUnixWithTimeout(a->unix_path,
                                 cc_redis_tv(CC_REDIS_CONNECT_TIMEOUT));

        if (r->ctx == NULL || r->ctx->err) {
            cc_redis_failed(r, "connect", r->ctx ? r->ctx->errstr
                                                 : "out of memory");
            return -1;
        }

    } else {
        r->ctx = cc_redis_open(r, &a->tcp, CC_REDIS_CONNECT_TIMEOUT,
                               "connect");
    }

    if (r->ctx == NULL) {
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

    if (cc_redis_handshake_run(r) != 0) {
        return -1;
    }

    if (sentinel) {
        cc_redis_sentinel_found(&r->sentinel);

        snprintf(text, sizeof(text), "%s:%d", r->sentinel.master.host,
                 r->sentinel.master.port);

        if (strcmp(text, r->master) != 0) {
            cc_log("redis master %s is %s (sentinel %s:%d)", a->master, text,
                   a->sentinels[r->sentinel.current].host,
                   a->sentinels[r->sentinel.current].port);
            strcpy(r->master, text);
        }
    }

    return 0;
}

int
cc_redis_connect(cc_redis_t *r)
{
    if (!r->resolved) {
        if (cc_redis_resolve(r, r->opts->redis.tcp.host, &r->addr.tcp) != 0)
        {
            return -1;
        }
        r->resolved = 1;
    }

    /* with Sentinel: each sentinel in turn, a round at most */
    while (cc_redis_connect_once(r) != 0) {
        if (!(r->addr.given & CC_REDIS_GIVEN_SENTINEL)
            || cc_redis_sentinel_failed(&r->sentinel))
        {
            return -1;
        }
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

    r->backoff_ms = (int) cc_redis_backoff_next(&r->addr,
                                                (unsigned) r->backoff_ms);
}

static redisReply *
cc_redis_run(cc_redis_t *r, int argc, const char **argv)
{
    redisReply  *reply;

    if (r->ctx == NULL) {
        return NULL;
    }

    reply = redisCommandArgv(r->ctx, argc, argv, NULL);

    if (reply == NULL) {
        cc_redis_failed(r, argv[0], r->ctx->errstr[0] ? r->ctx->errstr
                                                      : "no reply");

    } else if (reply->type == REDIS_REPLY_ERROR
               && cc_redis_reply_relink(reply->str, reply->len))
    {
        /* not (or no longer) the master: as if lost, look again */
        cc_redis_failed(r, argv[0], reply->str);
        freeReplyObject(reply);
        reply = NULL;

    } else if (reply->type != REDIS_REPLY_ERROR) {
        r->backoff_ms = CC_REDIS_BACKOFF_MIN;
    }

    return reply;
}

/*
 * A MOVED or ASK reply: the connection moved to the node it names (1,
 * ASKING sent first for ASK); 0 for any other reply; -1 when the node
 * could not be reached.
 */
static int
cc_redis_moved(cc_redis_t *r, const redisReply *reply)
{
    int                   kind;
    redisReply           *asking;
    cc_redis_endpoint_t   e;

    kind = cc_redis_reply_moved(reply->str, reply->len, &e);
    if (kind == 0 || (r->addr.given & CC_REDIS_GIVEN_SENTINEL)) {
        return 0;
    }

    cc_log("redis: %s, connecting there", reply->str);

    cc_redis_close(r);
    r->addr.tcp = e;
    r->addr.unix_path[0] = '\0';

    if (cc_redis_connect_once(r) != 0) {
        return -1;
    }

    if (kind == CC_REDIS_ASK) {
        asking = redisCommand(r->ctx, "ASKING");
        if (asking == NULL) {
            cc_redis_failed(r, "ASKING", r->ctx->errstr);
            return -1;
        }
        freeReplyObject(asking);
    }

    return 1;
}

redisReply *
cc_redis_command(cc_redis_t *r, int argc, const char **argv)
{
    int           i, rc;
    const char  **fcall;
    redisReply   *reply;

    fcall = NULL;

    if (argc >= 3 && strcmp(argv[0], "FCALL") == 0
        && strcmp(argv[2], "0") == 0)
    {
        fcall = malloc((argc + 1) * sizeof(argv[0]));
        if (fcall == NULL) {
            cc_log("redis: out of memory");
            return NULL;
        }

        fcall[0] = argv[0];
        fcall[1] = argv[1];
        fcall[2] = "1";
        fcall[3] = r->site_key;
        for (i = 3; i < argc; i++) {
            fcall[i + 1] = argv[i];
        }

        argv = fcall;
        argc++;
    }

    reply = cc_redis_run(r, argc, argv);

    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        rc = cc_redis_moved(r, reply);
        if (rc != 0) {
            freeReplyObject(reply);
            reply = rc == 1 ? cc_redis_run(r, argc, argv) : NULL;
        }
    }

    free(fcall);
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
