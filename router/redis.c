#include <stdio.h>
#include <time.h>

#include "cc_functions.h"
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

/* Runs a setup command; 0 on a non-error reply. */
static int
cc_redis_setup(cc_redis_t *r, const char *what, int argc, const char **argv)
{
    int          rc;
    redisReply  *reply;

    reply = cc_redis_command(r, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    rc = reply->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (rc != 0) {
        cc_redis_failed(r, what, reply->str);
    }

    freeReplyObject(reply);
    return rc;
}

int
cc_redis_connect(cc_redis_t *r)
{
    char                 db[16];
    const char          *argv[4];
    const cc_options_t  *o;

    o = r->opts;

    if (o->unix_path != NULL) {
        r->ctx = redisConnectUnixWithTimeout(o->unix_path,
                                 cc_redis_tv(CC_REDIS_CONNECT_TIMEOUT));
    } else {
        r->ctx = redisConnectWithTimeout(o->host, o->port,
                                 cc_redis_tv(CC_REDIS_CONNECT_TIMEOUT));
    }

    if (r->ctx == NULL || r->ctx->err) {
        cc_redis_failed(r, "connect", r->ctx ? r->ctx->errstr
                                             : "out of memory");
        return -1;
    }

    if (redisSetTimeout(r->ctx, cc_redis_tv(o->tick_ms
                                            + CC_REDIS_COMMAND_MARGIN))
        != REDIS_OK)
    {
        cc_redis_failed(r, "connect", "cannot set the command timeout");
        return -1;
    }

    /* not on a unix socket: it fails there, and hiredis would keep that
     * failure as the context's error */
    if (o->unix_path == NULL) {
        (void) redisEnableKeepAlive(r->ctx);
    }

    if (o->password != NULL) {
        argv[0] = "AUTH";
        argv[1] = o->password;
        if (cc_redis_setup(r, "AUTH", 2, argv) != 0) {
            return -1;
        }
    }

    if (o->db != 0) {
        snprintf(db, sizeof(db), "%d", o->db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (cc_redis_setup(r, "SELECT", 2, argv) != 0) {
            return -1;
        }
    }

    argv[0] = "FUNCTION";
    argv[1] = "LOAD";
    argv[2] = "REPLACE";
    argv[3] = cc_functions_lua;
    if (cc_redis_setup(r, "FUNCTION LOAD", 4, argv) != 0) {
        return -1;
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
