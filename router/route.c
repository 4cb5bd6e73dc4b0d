#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "log.h"
#include "route.h"
#include "strategy.h"

#define CC_ROUTE_STR(x)   CC_ROUTE_XSTR(x)
#define CC_ROUTE_XSTR(x)  #x

#define CC_ROUTE_OK        0
#define CC_ROUTE_AGAIN     1   /* something changed: read candidates again */
#define CC_ROUTE_STOP      2

/*
 * An FCALL answering an array of entries, each an array of at least n
 * strings (n == 0: each entry a string); each entry is handed to one().
 * -1 when the link was lost.
 */
static int
cc_route_entries(cc_redis_t *r, int argc, const char **argv, size_t n,
    void (*one)(const redisReply *entry, void *data), void *data)
{
    size_t             i, k;
    redisReply        *reply;
    const redisReply  *e;

    reply = cc_redis_command(r, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("%s: %s", argv[1], reply->str);

    } else if (reply->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < reply->elements; i++) {
            e = reply->element[i];

            if (n == 0) {
                k = (e->type == REDIS_REPLY_STRING);

            } else {
                for (k = 0; e->type == REDIS_REPLY_ARRAY && k < n; k++) {
                    if (k >= e->elements
                        || e->element[k]->type != REDIS_REPLY_STRING)
                    {
                        break;
                    }
                }
                k = (k == n);
            }

            if (!k) {
                cc_log("%s: unexpected answer", argv[1]);
                continue;
            }

            one(e, data);
        }
    }

    freeReplyObject(reply);
    return 0;
}

static void
cc_route_add_queue(cc_queues_t *q, const redisReply *name)
{
    if (cc_queues_add(q, name->str, name->len) != 0) {
        cc_log("bad queue name or too many queues");
    }
}

/* {call, agent, queue, reason} */
static void
cc_route_withdrawn(const redisReply *e, void *data)
{
    cc_log("withdraw call=%s agent=%s queue=%s reason=%s", e->element[0]->str,
           e->element[1]->str, e->element[2]->str, e->element[3]->str);
    cc_route_add_queue(data, e->element[2]);
}

int
cc_route_expire(cc_redis_t *r, cc_queues_t *q)
{
    const char  *argv[] = {
        "FCALL", CC_FN("cc_expire_offers"), "0",
        CC_ROUTE_STR(CC_ROUTE_EXPIRE)
    };

    return cc_route_entries(r, 4, argv, 4, cc_route_withdrawn, q);
}

/* {call, queue, waited ms, reason} */
static void
cc_route_ended(const redisReply *e, void *data)
{
    (void) data;

    cc_log("end call=%s queue=%s reason=%s waited=%llds",
           e->element[0]->str, e->element[1]->str, e->element[3]->str,
           strtoll(e->element[2]->str, NULL, 10) / 1000);
}

int
cc_route_expire_calls(cc_redis_t *r, const cc_options_t *o)
{
    char         max_wait[24], message_wait[24];
    const char  *argv[] = {
        "FCALL", CC_FN("cc_expire_calls"), "0", max_wait,
        CC_ROUTE_STR(CC_ROUTE_EXPIRE), message_wait
    };

    snprintf(max_wait, sizeof(max_wait), "%lld", o->max_wait * 1000LL);
    snprintf(message_wait, sizeof(message_wait), "%lld",
             o->message_wait * 1000LL);

    return cc_route_entries(r, 6, argv, 4, cc_route_ended, NULL);
}

/* a queue name */
static void
cc_route_active_queue(const redisReply *e, void *data)
{
    cc_route_add_queue(data, e);
}

int
cc_route_active(cc_redis_t *r, cc_queues_t *q)
{
    const char  *argv[] = { "FCALL", CC_FN("cc_active_queues"), "0" };

    return cc_route_entries(r, 3, argv, 0, cc_route_active_queue, q);
}

/* FCALL cc_offer for one pick: CC_ROUTE_OK, _AGAIN, _STOP, or -1. */
static int
cc_route_offer(cc_redis_t *r, const cc_options_t *o, const char *queue,
    const cc_candidates_t *c, const cc_pick_t *p)
{
    int          rc;
    char         timeout[16];
    redisReply  *reply;
    const char  *argv[] = {
        "FCALL", CC_FN("cc_offer"), "0", p->call->id, p->agent->id,
        timeout
    };

    snprintf(timeout, sizeof(timeout), "%d", o->offer_timeout * 1000);

    reply = cc_redis_command(r, 6, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_ERROR) {
        cc_log("offer call=%s agent=%s queue=%s reason=%s%s idle=%llds "
               "waited=%llds", p->call->id, p->agent->id, queue, p->reason,
               p->declined ? " declined-before=1" : "",
               p->idle_ms / 1000, (c->now - p->call->created) / 1000);
        rc = CC_ROUTE_OK;

    } else if (strncmp(reply->str, "CONFLICT", 8) == 0) {
        cc_log("conflict call=%s agent=%s queue=%s why=\"%s\", reading "
               "again", p->call->id, p->agent->id, queue,
               reply->str + strspn(reply->str + 8, " ") + 8);
        rc = CC_ROUTE_AGAIN;

    } else {
        cc_log("cc_offer call=%s agent=%s queue=%s: %s", p->call->id,
               p->agent->id, queue, reply->str);
        rc = CC_ROUTE_STOP;
    }

    freeReplyObject(reply);
    return rc;
}

/* One round: read candidates, offer; CC_ROUTE_OK/_AGAIN/_STOP or -1. */
static int
cc_route_round(cc_redis_t *r, const cc_options_t *o, const char *queue)
{
    int              rc;
    long             i, n;
    char             err[128];
    cc_pick_t       *picks;
    redisReply      *reply;
    cc_candidates_t  c;
    const char      *argv[] = {
        "FCALL", CC_FN("cc_route_candidates"), "0", queue,
        CC_ROUTE_STR(CC_ROUTE_CALLS)
    };

    reply = cc_redis_command(r, 5, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_STRING) {
        cc_log("cc_route_candidates queue=%s: %s", queue,
               reply->type == REDIS_REPLY_ERROR ? reply->str
                                                : "not a string");
        freeReplyObject(reply);
        return CC_ROUTE_STOP;
    }

    rc = cc_candidates_parse(&c, reply->str, reply->len, err, sizeof(err));
    freeReplyObject(reply);

    if (rc != 0) {
        cc_log("queue=%s: %s", queue, err);
        return CC_ROUTE_STOP;
    }

    picks = calloc(c.ncalls + 1, sizeof(cc_pick_t));
    n = picks != NULL ? cc_strategy_run(o->strategy, &c, picks) : -1;

    if (n < 0) {
        cc_log("queue=%s: out of memory", queue);
        rc = CC_ROUTE_STOP;

    } else {
        rc = CC_ROUTE_STOP;

        for (i = 0; i < n; i++) {
            rc = cc_route_offer(r, o, queue, &c, &picks[i]);
            if (rc != CC_ROUTE_OK) {
                break;
            }
        }

        /* all offered, and maybe more calls than one round reads */
        if (rc == CC_ROUTE_OK && c.ncalls < CC_ROUTE_CALLS) {
            rc = CC_ROUTE_STOP;
        }
    }

    free(picks);
    cc_candidates_free(&c);
    return rc == CC_ROUTE_OK ? CC_ROUTE_AGAIN : rc;
}

int
cc_route_queue(cc_redis_t *r, const cc_options_t *o, const char *queue)
{
    int  round, rc;

    for (round = 0; round < CC_ROUTE_ROUNDS; round++) {
        rc = cc_route_round(r, o, queue);

        if (rc == -1) {
            return -1;
        }

        if (rc == CC_ROUTE_STOP) {
            return 0;
        }
    }

    cc_log("queue=%s: still changing after %d rounds, left to the next "
           "step", queue, CC_ROUTE_ROUNDS);
    return 0;
}
