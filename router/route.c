#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "candidates.h"
#include "engine.h"
#include "lease.h"
#include "log.h"
#include "record.h"
#include "route.h"
#include "stats.h"

#define CC_ROUTE_STR(x)   CC_ROUTE_XSTR(x)
#define CC_ROUTE_XSTR(x)  #x

#define CC_ROUTE_OK        0
#define CC_ROUTE_AGAIN     1   /* something changed: read the state again */
#define CC_ROUTE_STOP      2

#define CC_ROUTE_AGENTS_LOG  640   /* bytes of agent ids in a ring line */

/* the random strategy's state, seeded once */
static uint64_t  cc_route_random;

/*
 * An FCALL answering an array of entries, each an array of at least n
 * strings; each entry is handed to one().  -1 when the link was lost.
 */
static int
cc_route_entries(cc_redis_t *r, int argc, const char **argv, size_t n,
    void (*one)(const redisReply *entry))
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

            for (k = 0; e->type == REDIS_REPLY_ARRAY && k < n; k++) {
                if (k >= e->elements
                    || e->element[k]->type != REDIS_REPLY_STRING)
                {
                    break;
                }
            }

            if (k != n) {
                cc_log("%s: unexpected answer", argv[1]);
                continue;
            }

            one(e);
        }
    }

    freeReplyObject(reply);
    return 0;
}

/* {call, agent, queue, reason} */
static void
cc_route_withdrawn(const redisReply *e)
{
    cc_log("withdraw call=%s agent=%s queue=%s reason=%s", e->element[0]->str,
           e->element[1]->str, e->element[2]->str, e->element[3]->str);
}

/* {agent, what, queue} */
static void
cc_route_agent_expired(const redisReply *e)
{
    cc_log("%s agent=%s queue=%s", e->element[1]->str, e->element[0]->str,
           e->element[2]->str);
}

/* {call, queue, waited ms, reason[, the queue it overflowed to]} */
static void
cc_route_ended(const redisReply *e)
{
    int  to;

    to = e->elements > 4 && e->element[4]->type == REDIS_REPLY_STRING;

    cc_log("%s call=%s queue=%s reason=%s%s%s waited=%llds",
           to ? "overflow" : "end", e->element[0]->str, e->element[1]->str,
           e->element[3]->str, to ? " to=" : "", to ? e->element[4]->str : "",
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

    return cc_route_entries(r, 6, argv, 4, cc_route_ended);
}

/* "a,b,c" for the log, cut short with ",..." */
static void
cc_route_agent_list(const cc_decision_t *d, char *buf, size_t size)
{
    size_t  i, len, n;

    len = 0;
    buf[0] = '\0';

    for (i = 0; i < d->nagents; i++) {
        n = strlen(d->agents[i]->id);

        if (len + n + 5 >= size) {
            snprintf(buf + len, size - len, ",...");
            return;
        }

        len += (size_t) snprintf(buf + len, size - len, "%s%s",
                                 i > 0 ? "," : "", d->agents[i]->id);
    }
}

/* The answer of cc_offer, cc_ring or cc_route_note, logged when it is not
 * OK: CC_ROUTE_OK, _AGAIN (CONFLICT), _STOP, or -1. */
static int
cc_route_commit(cc_redis_t *r, int argc, const char **argv,
    const cc_decision_t *d, const char *agents)
{
    int          rc;
    const char  *why;
    redisReply  *reply;

    reply = cc_redis_command(r, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    why = reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STATUS
          || reply->type == REDIS_REPLY_STRING ? reply->str : "";

    if (strncmp(why, "CONFLICT", 8) == 0) {
        why += 8;
        why += strspn(why, " ");
        cc_log("conflict call=%s agent%s=%s queue=%s why=\"%s\", reading "
               "again", d->call->id, d->nagents > 1 ? "s" : "",
               agents, d->queue->name, why);
        cc_stats.conflicts++;
        rc = CC_ROUTE_AGAIN;

    } else if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("%s call=%s queue=%s: %s", argv[1], d->call->id,
               d->queue->name, reply->str);
        rc = CC_ROUTE_STOP;

    } else {
        rc = CC_ROUTE_OK;
    }

    freeReplyObject(reply);
    return rc;
}

/* One decision committed: CC_ROUTE_OK, _AGAIN, _STOP, or -1. */
static int
cc_route_decision(cc_redis_t *r, const cc_candidates_t *c,
    const cc_decision_t *d, const char *router)
{
    int           rc, argc;
    char         *record;
    char          agents[CC_ROUTE_AGENTS_LOG];
    size_t        i;
    long long     waited;
    const char  **argv;

    if (d->kind == CC_DECIDE_NONE
        || (d->kind == CC_DECIDE_WAIT && d->call->last != NULL
            && strcmp(d->call->last, d->reason) == 0))
    {
        return CC_ROUTE_OK;
    }

    record = cc_record_json(d, c->now, router);
    argv = calloc(d->nagents + 6, sizeof(const char *));

    if (record == NULL || argv == NULL) {
        cc_log("call=%s: out of memory", d->call->id);
        free(record);
        free(argv);
        return CC_ROUTE_STOP;
    }

    cc_route_agent_list(d, agents, sizeof(agents));
    waited = c->now > d->call->created ? c->now - d->call->created : 0;

    argv[0] = "FCALL";
    argv[2] = "0";
    argv[3] = d->call->id;

    switch (d->kind) {

    case CC_DECIDE_OFFER:
        argv[1] = CC_FN("cc_offer");
        argv[4] = d->agents[0]->id;
        argv[5] = "";                   /* the queue's offer_timeout */
        argv[6] = record;
        argc = 7;
        break;

    case CC_DECIDE_RING:
        argv[1] = CC_FN("cc_ring");
        argv[4] = record;
        for (i = 0; i < d->nagents; i++) {
            argv[5 + i] = d->agents[i]->id;
        }
        argc = 5 + (int) d->nagents;
        break;

    default:
        argv[1] = CC_FN("cc_route_note");
        argv[4] = record;
        argc = 5;
        break;
    }

    rc = cc_route_commit(r, argc, argv, d, agents);

    if (rc == CC_ROUTE_OK) {
        switch (d->kind) {

        case CC_DECIDE_OFFER:
            cc_stats.offers++;
            cc_log("offer call=%s agent=%s queue=%s reason=%s strategy=%s%s "
                   "idle=%llds waited=%llds", d->call->id, agents,
                   d->queue->name, d->word, d->strategy,
                   d->declined ? " declined-before=1" : "",
                   d->idle_ms / 1000, waited / 1000);
            break;

        case CC_DECIDE_RING:
            cc_stats.rings++;
            cc_log("ring call=%s agents=%s queue=%s strategy=%s%s "
                   "waited=%llds", d->call->id, agents, d->queue->name,
                   d->strategy, d->declined ? " declined-before=1" : "",
                   waited / 1000);
            break;

        default:
            cc_log("wait call=%s queue=%s strategy=%s reason=\"%s\"",
                   d->call->id, d->queue->name, d->strategy, d->reason);
            break;
        }
    }

    free(record);
    free(argv);
    return rc;
}

/* One round: read the state, decide, commit; CC_ROUTE_AGAIN/_STOP or -1. */
static int
cc_route_round(cc_redis_t *r, const cc_options_t *o, const char *router)
{
    int              rc;
    char             err[128];
    size_t           i, offered;
    redisReply      *reply;
    cc_decisions_t   d;
    cc_candidates_t  c;
    const char      *argv[] = { "FCALL", CC_FN("cc_routing_state"), "0" };

    reply = cc_redis_command(r, 3, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_STRING) {
        cc_log("cc_routing_state: %s", reply->type == REDIS_REPLY_ERROR
                                       ? reply->str : "not a string");
        freeReplyObject(reply);
        return CC_ROUTE_STOP;
    }

    rc = cc_candidates_parse(&c, reply->str, reply->len, err, sizeof(err));
    freeReplyObject(reply);

    if (rc != 0) {
        cc_log("%s", err);
        return CC_ROUTE_STOP;
    }

    if (cc_engine_run(&c, o->strategy, &cc_route_random, &d) != 0) {
        cc_log("routing: out of memory");
        cc_candidates_free(&c);
        return CC_ROUTE_STOP;
    }

    rc = CC_ROUTE_OK;
    offered = 0;

    for (i = 0; i < d.n && rc == CC_ROUTE_OK; i++) {
        rc = cc_route_decision(r, &c, &d.items[i], router);
        offered += rc == CC_ROUTE_OK && d.items[i].nagents > 0;
    }

    /* all committed: again only if the state may have held back calls
     * that agents left free could take */
    if (rc == CC_ROUTE_OK) {
        rc = offered > 0 && d.free > 0 && c.ncalls >= CC_ROUTE_STATE_CALLS
             ? CC_ROUTE_AGAIN : CC_ROUTE_STOP;
    }

    cc_decisions_free(&d);
    cc_candidates_free(&c);
    return rc;
}

/* One step, the routing lease held. */
static int
cc_route_step_leased(cc_redis_t *r, const cc_options_t *o,
    const char *router)
{
    int          round, rc;
    const char  *offers[] = {
        "FCALL", CC_FN("cc_expire_offers"), "0",
        CC_ROUTE_STR(CC_ROUTE_EXPIRE)
    };
    const char  *agents[] = {
        "FCALL", CC_FN("cc_expire_agents"), "0",
        CC_ROUTE_STR(CC_ROUTE_EXPIRE)
    };

    if (cc_route_random == 0) {
        cc_route_random = (uint64_t) time(NULL) << 20 ^ (uint64_t) getpid();
    }

    if (cc_route_entries(r, 4, offers, 4, cc_route_withdrawn) != 0
        || cc_route_entries(r, 4, agents, 3, cc_route_agent_expired) != 0)
    {
        return -1;
    }

    for (round = 0; round < CC_ROUTE_ROUNDS; round++) {
        rc = cc_route_round(r, o, router);

        if (rc == -1) {
            return -1;
        }

        if (rc == CC_ROUTE_STOP) {
            return 0;
        }
    }

    cc_log("routing still changing after %d rounds, left to the next step",
           CC_ROUTE_ROUNDS);
    return 0;
}

int
cc_route_step(cc_redis_t *r, const cc_options_t *o, const char *router)
{
    int  n, rc, again;

    for (n = 0; n < CC_ROUTE_STEPS; n++) {
        rc = cc_lease_take(r, router);
        if (rc <= 0) {
            /* another router steps, and will once more for us */
            return rc;
        }

        rc = cc_route_step_leased(r, o, router);
        again = cc_lease_release(r, router);

        if (rc == -1 || again == -1) {
            return -1;
        }

        if (again == 0) {
            return 0;
        }
    }

    cc_log("asked to step again %d times in a row, left to the next sweep",
           CC_ROUTE_STEPS);
    return 0;
}
