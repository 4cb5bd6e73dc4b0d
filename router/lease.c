#include <string.h>

#include "lease.h"
#include "log.h"

#define CC_LEASE_STR(x)   CC_LEASE_XSTR(x)
#define CC_LEASE_XSTR(x)  #x

/*
 * An FCALL answering an integer: 1 or 0, -1 when the link was lost, and
 * on_error for an error reply (a library without the lease: step anyway).
 */
static int
cc_lease_fcall(cc_redis_t *r, int argc, const char **argv, int on_error)
{
    int          rc;
    redisReply  *reply;

    reply = cc_redis_command(r, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;
    if (reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer != 0;

    } else if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("%s: %s", argv[1], reply->str);
        rc = on_error;
    }

    freeReplyObject(reply);
    return rc;
}

int
cc_lease_take(cc_redis_t *r, const char *name)
{
    const char  *argv[] = {
        "FCALL", CC_FN("cc_lease_take"), "0", name,
        CC_LEASE_STR(CC_LEASE_TTL_MS)
    };

    return cc_lease_fcall(r, 5, argv, 1);
}

int
cc_lease_release(cc_redis_t *r, const char *name)
{
    const char  *argv[] = {
        "FCALL", CC_FN("cc_lease_release"), "0", name
    };

    return cc_lease_fcall(r, 4, argv, 0);
}
