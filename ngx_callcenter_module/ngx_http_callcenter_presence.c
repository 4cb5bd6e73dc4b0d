
/*
 * callcenter: the presence of the worker's event streams in Redis.  The
 * connections of one party (agents, callers) with the same heartbeat and
 * grace form a group; each heartbeat one FCALL refreshes the whole group
 * (cc_agent_presence, cc_caller_presence: at most
 * NGX_HTTP_CALLCENTER_PRESENCE_BATCH connections a call), where each
 * stream used to send its own.  A connection's close is its own FCALL at
 * once: its grace starts then.  Refreshes and closes travel in order on
 * the one command link, so a closed connection is never refreshed after.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_callcenter.h"


/* connections an FCALL refreshes at most: its Redis time stays short */
#define NGX_HTTP_CALLCENTER_PRESENCE_BATCH  128
#define NGX_HTTP_CALLCENTER_PRESENCE_ARGS                                    \
    (1 + 2 * NGX_HTTP_CALLCENTER_PRESENCE_BATCH)     /* ttl, then pairs */


typedef struct {
    ngx_queue_t                 queue;       /* in the groups */
    ngx_uint_t                  party;
    ngx_msec_t                  heartbeat;
    ngx_msec_t                  grace;
    ngx_queue_t                 members;     /* presence_t */
    ngx_event_t                 timer;
} ngx_http_callcenter_presence_group_t;


static void ngx_http_callcenter_presence_refresh(ngx_event_t *ev);
static void ngx_http_callcenter_presence_reply(ngx_http_request_t *r,
    redisReply *reply);


static ngx_queue_t  ngx_http_callcenter_presence_groups;
static ngx_uint_t   ngx_http_callcenter_presence_initialized;
static ngx_str_t    ngx_http_callcenter_presence_args[
                                           NGX_HTTP_CALLCENTER_PRESENCE_ARGS];


/* ms a connection counts as present without news: two heartbeats and the
 * grace of its party */

static ngx_msec_t
ngx_http_callcenter_presence_grace(ngx_http_callcenter_loc_conf_t *lcf,
    ngx_uint_t party)
{
    return party == NGX_HTTP_CALLCENTER_AGENT ? lcf->presence_grace
                                              : lcf->caller_grace;
}


ngx_msec_t
ngx_http_callcenter_presence_ttl(ngx_http_callcenter_loc_conf_t *lcf,
    ngx_uint_t party)
{
    return 2 * lcf->heartbeat + ngx_http_callcenter_presence_grace(lcf, party);
}


static ngx_http_callcenter_presence_group_t *
ngx_http_callcenter_presence_group(ngx_http_callcenter_loc_conf_t *lcf,
    ngx_uint_t party)
{
    ngx_msec_t                             grace;
    ngx_queue_t                           *q;
    ngx_http_callcenter_presence_group_t  *g;

    if (!ngx_http_callcenter_presence_initialized) {
        ngx_queue_init(&ngx_http_callcenter_presence_groups);
        ngx_http_callcenter_presence_initialized = 1;
    }

    grace = ngx_http_callcenter_presence_grace(lcf, party);

    /* a group per party and location settings: a worker has few */

    for (q = ngx_queue_head(&ngx_http_callcenter_presence_groups);
         q != ngx_queue_sentinel(&ngx_http_callcenter_presence_groups);
         q = ngx_queue_next(q))
    {
        g = ngx_queue_data(q, ngx_http_callcenter_presence_group_t, queue);

        if (g->party == party && g->heartbeat == lcf->heartbeat
            && g->grace == grace)
        {
            return g;
        }
    }

    g = ngx_alloc(sizeof(ngx_http_callcenter_presence_group_t),
                  ngx_cycle->log);
    if (g == NULL) {
        return NULL;
    }

    ngx_memzero(g, sizeof(ngx_http_callcenter_presence_group_t));

    g->party = party;
    g->heartbeat = lcf->heartbeat;
    g->grace = grace;
    ngx_queue_init(&g->members);

    g->timer.handler = ngx_http_callcenter_presence_refresh;
    g->timer.data = g;
    g->timer.log = ngx_cycle->log;
    g->timer.cancelable = 1;

    ngx_queue_insert_tail(&ngx_http_callcenter_presence_groups, &g->queue);

    return g;
}


/* p->id and p->conn set, held until ngx_http_callcenter_presence_close() */

ngx_int_t
ngx_http_callcenter_presence_add(ngx_http_callcenter_presence_t *p,
    ngx_http_callcenter_loc_conf_t *lcf, ngx_uint_t party)
{
    ngx_http_callcenter_presence_group_t  *g;

    g = ngx_http_callcenter_presence_group(lcf, party);
    if (g == NULL) {
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&g->members, &p->queue);
    p->group = g;

    /* its open registered it for a ttl: the first refresh comes within a
     * heartbeat */
    if (!g->timer.timer_set) {
        ngx_add_timer(&g->timer, g->heartbeat);
    }

    return NGX_OK;
}


void
ngx_http_callcenter_presence_close(ngx_http_callcenter_presence_t *p)
{
    u_char                                 ms[NGX_INT_T_LEN];
    ngx_str_t                              args[3];
    ngx_http_callcenter_presence_group_t  *g;

    g = p->group;

    if (g == NULL) {
        return;
    }

    ngx_queue_remove(&p->queue);
    p->group = NULL;

    /* cc_agent_close A conn grace, cc_caller_close ID conn grace */
    args[0] = p->id;
    args[1] = p->conn;
    args[2].data = ms;
    args[2].len = ngx_sprintf(ms, "%M", g->grace) - ms;

    (void) ngx_http_callcenter_redis_fcall(NULL, NULL,
                                 g->party == NGX_HTTP_CALLCENTER_AGENT
                                 ? "cc_agent_close" : "cc_caller_close",
                                 3, args);
}


/*
 * The links came back: every group is refreshed at once, before the
 * streams catch up, so that a connection Redis lost (a failover to a
 * replica behind) is registered again, and a caller stream's events,
 * published to the workers its call's connections name, reach it after
 * its catch-up.
 */

void
ngx_http_callcenter_presence_now(void)
{
    ngx_queue_t                           *q;
    ngx_http_callcenter_presence_group_t  *g;

    if (!ngx_http_callcenter_presence_initialized) {
        return;
    }

    for (q = ngx_queue_head(&ngx_http_callcenter_presence_groups);
         q != ngx_queue_sentinel(&ngx_http_callcenter_presence_groups);
         q = ngx_queue_next(q))
    {
        g = ngx_queue_data(q, ngx_http_callcenter_presence_group_t, queue);

        if (!ngx_queue_empty(&g->members)) {
            ngx_http_callcenter_presence_refresh(&g->timer);
        }
    }
}


/* cc_agent_presence ttl A1 conn1 A2 conn2..., cc_caller_presence ttl ID1
 * conn1 ID2 conn2...: a Redis away drops the refresh, the next one comes */

static void
ngx_http_callcenter_presence_refresh(ngx_event_t *ev)
{
    u_char                                 ms[NGX_INT_T_LEN];
    ngx_str_t                             *args;
    ngx_uint_t                             n;
    const char                            *fn;
    ngx_queue_t                           *q;
    ngx_http_callcenter_presence_t        *p;
    ngx_http_callcenter_presence_group_t  *g;

    g = ev->data;

    if (ngx_queue_empty(&g->members)) {
        return;
    }

    args = ngx_http_callcenter_presence_args;
    fn = g->party == NGX_HTTP_CALLCENTER_AGENT ? "cc_agent_presence"
                                                : "cc_caller_presence";

    args[0].data = ms;
    args[0].len = ngx_sprintf(ms, "%M", 2 * g->heartbeat + g->grace) - ms;
    n = 1;

    for (q = ngx_queue_head(&g->members);
         q != ngx_queue_sentinel(&g->members);
         q = ngx_queue_next(q))
    {
        p = ngx_queue_data(q, ngx_http_callcenter_presence_t, queue);

        args[n++] = p->id;
        args[n++] = p->conn;

        if (n == NGX_HTTP_CALLCENTER_PRESENCE_ARGS
            || ngx_queue_next(q) == ngx_queue_sentinel(&g->members))
        {
            (void) ngx_http_callcenter_redis_fcall(NULL,
                               g->party == NGX_HTTP_CALLCENTER_AGENT
                               ? NULL : ngx_http_callcenter_presence_reply,
                               fn, n, args);
            n = 1;
        }
    }

    ngx_add_timer(ev, g->heartbeat);
}


/*
 * cc_caller_presence answers the connections it had to register again (an
 * array; OK when none): their presence ran out under open streams, so the
 * call's events went to its other workers meanwhile.  Rare: a walk of the
 * caller groups for each.
 */

static void
ngx_http_callcenter_presence_reply(ngx_http_request_t *r, redisReply *reply)
{
    size_t                                 i;
    redisReply                            *conn;
    ngx_queue_t                           *q, *m;
    ngx_http_callcenter_presence_t        *p;
    ngx_http_callcenter_presence_group_t  *g;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        conn = reply->element[i];

        if (conn->type != REDIS_REPLY_STRING) {
            continue;
        }

        for (q = ngx_queue_head(&ngx_http_callcenter_presence_groups);
             q != ngx_queue_sentinel(&ngx_http_callcenter_presence_groups);
             q = ngx_queue_next(q))
        {
            g = ngx_queue_data(q, ngx_http_callcenter_presence_group_t,
                               queue);

            if (g->party == NGX_HTTP_CALLCENTER_AGENT) {
                continue;
            }

            for (m = ngx_queue_head(&g->members);
                 m != ngx_queue_sentinel(&g->members);
                 m = ngx_queue_next(m))
            {
                p = ngx_queue_data(m, ngx_http_callcenter_presence_t, queue);

                if (p->conn.len == conn->len
                    && ngx_memcmp(p->conn.data, conn->str, conn->len) == 0)
                {
                    ngx_http_callcenter_sse_presence_lost(p);
                    break;
                }
            }
        }
    }
}
