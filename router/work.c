#include <stdio.h>
#include <string.h>

#include "cc_keys.h"
#include "log.h"
#include "work.h"

#define CC_WORK_STR(x)   CC_WORK_XSTR(x)
#define CC_WORK_XSTR(x)  #x

/* Recreates the group when a reply says it is gone (e.g. FLUSHALL). */
static int
cc_work_error(cc_redis_t *r, const redisReply *reply, const char *what)
{
    if (strncmp(reply->str, "NOGROUP", 7) == 0) {
        cc_log("work: %s: group gone, creating it again", what);
        return cc_work_group(r);
    }

    cc_log("work: %s: %s", what, reply->str);
    return -1;
}

int
cc_work_group(cc_redis_t *r)
{
    int          rc;
    redisReply  *reply;
    const char  *argv[] = {
        "XGROUP", "CREATE", r->work_key, CC_WORK_GROUP, "0", "MKSTREAM"
    };

    reply = cc_redis_command(r, 6, argv);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;
    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "BUSYGROUP", 9) != 0)
    {
        cc_log("work: XGROUP CREATE: %s", reply->str);
        rc = -1;
    }

    freeReplyObject(reply);
    return rc;
}

/* Adds the entries [[id, [field, value...]]...] to w. */
static void
cc_work_entries(cc_work_t *w, const redisReply *entries)
{
    size_t             i;
    const redisReply  *e, *id;

    if (entries->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < entries->elements; i++) {
        e = entries->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) {
            continue;  /* deleted meanwhile: nil */
        }

        id = e->element[0];

        if (id->type != REDIS_REPLY_STRING || id->len >= CC_WORK_ID_MAX
            || w->nids == sizeof(w->ids) / sizeof(w->ids[0]))
        {
            continue;
        }

        memcpy(w->ids[w->nids], id->str, id->len + 1);
        w->nids++;
    }
}

int
cc_work_read(cc_redis_t *r, const char *consumer, int block_ms,
    cc_work_t *w)
{
    int          rc;
    char         block[16];
    redisReply  *reply;
    const char  *argv[] = {
        "XREADGROUP", "GROUP", CC_WORK_GROUP, consumer, "BLOCK", block,
        "COUNT", CC_WORK_STR(CC_WORK_COUNT), "STREAMS", r->work_key, ">"
    };

    snprintf(block, sizeof(block), "%d", block_ms);

    reply = cc_redis_command(r, 11, argv);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type == REDIS_REPLY_ERROR) {
        rc = cc_work_error(r, reply, "XREADGROUP");

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
               && reply->element[0]->type == REDIS_REPLY_ARRAY
               && reply->element[0]->elements == 2)
    {
        /* [[key, entries]] */
        cc_work_entries(w, reply->element[0]->element[1]);
    }

    freeReplyObject(reply);
    return rc;
}

int
cc_work_claim(cc_redis_t *r, const char *consumer, cc_work_t *w)
{
    int          rc;
    redisReply  *reply;
    const char  *argv[] = {
        "XAUTOCLAIM", r->work_key, CC_WORK_GROUP, consumer,
        CC_WORK_STR(CC_WORK_CLAIM_IDLE), "0-0",
        "COUNT", CC_WORK_STR(CC_WORK_COUNT)
    };

    reply = cc_redis_command(r, 8, argv);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type == REDIS_REPLY_ERROR) {
        rc = cc_work_error(r, reply, "XAUTOCLAIM");

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2) {
        /* [cursor, entries, deleted ids] */
        cc_work_entries(w, reply->element[1]);
    }

    freeReplyObject(reply);
    return rc;
}

int
cc_work_ack(cc_redis_t *r, cc_work_t *w)
{
    int          rc;
    size_t       i;
    redisReply  *reply;
    const char  *argv[3 + sizeof(w->ids) / sizeof(w->ids[0])];

    if (w->nids == 0) {
        return 0;
    }

    argv[0] = "XACK";
    argv[1] = r->work_key;
    argv[2] = CC_WORK_GROUP;

    for (i = 0; i < w->nids; i++) {
        argv[3 + i] = w->ids[i];
    }

    reply = cc_redis_command(r, (int) (3 + w->nids), argv);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("work: XACK: %s", reply->str);
        rc = -1;
    }

    freeReplyObject(reply);
    w->nids = 0;
    return rc;
}
