/*
 * callcenter-router: offers waiting calls to agents.  A loop around one
 * blocking XREADGROUP on cc:work, with a full sweep of every active queue
 * once a tick; see docs/DESIGN.md, "The router".
 */

#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents.h"
#include "cc_keys.h"
#include "log.h"
#include "options.h"
#include "redis.h"
#include "route.h"
#include "work.h"

typedef struct {
    cc_options_t   opts;
    char           name[CC_CONSUMER_MAX + 1];
    char          *agents_json;    /* normalized; NULL without --agents */
    size_t         agents_count;
    cc_redis_t     redis;
    cc_work_t      work;
    long long      next_sweep;     /* monotonic ms */
} cc_router_t;

static volatile sig_atomic_t  cc_stop;
static volatile sig_atomic_t  cc_reload;

static void
cc_signal(int signo)
{
    if (signo == SIGHUP) {
        cc_reload = 1;

    } else {
        cc_stop = 1;
    }
}

static int
cc_signals(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);

    /* no SA_RESTART: a signal cuts the backoff sleep short */
    sa.sa_handler = cc_signal;
    if (sigaction(SIGTERM, &sa, NULL) != 0
        || sigaction(SIGINT, &sa, NULL) != 0
        || sigaction(SIGHUP, &sa, NULL) != 0)
    {
        return -1;
    }

    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

static long long
cc_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
cc_router_name(cc_router_t *rt)
{
    char  host[CC_CONSUMER_MAX];

    if (rt->opts.name != NULL) {
        snprintf(rt->name, sizeof(rt->name), "%s", rt->opts.name);
        return;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "router");
    }
    host[sizeof(host) - 1] = '\0';

    snprintf(rt->name, sizeof(rt->name), "%.40s-%ld", host, (long) getpid());
}

/* FCALL cc_agents_load with the profiles read last. */
static void
cc_router_load_agents(cc_router_t *rt)
{
    redisReply  *reply;
    const char  *argv[4];

    if (rt->agents_json == NULL) {
        return;
    }

    argv[0] = "FCALL";
    argv[1] = CC_FN("cc_agents_load");
    argv[2] = "0";
    argv[3] = rt->agents_json;

    reply = cc_redis_command(&rt->redis, 4, argv);
    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("agents not loaded: cc_agents_load: %s", reply->str);

    } else {
        cc_log("agents loaded count=%lld file=%s", reply->integer,
               rt->opts.agents);
    }

    freeReplyObject(reply);
}

/* SIGHUP: a bad file is logged and the profiles loaded before stay. */
static void
cc_router_reload(cc_router_t *rt)
{
    char    *json;
    size_t   count;
    char     err[512];

    if (rt->opts.agents == NULL) {
        cc_log("SIGHUP: no --agents file to reload");
        return;
    }

    if (cc_agents_read(rt->opts.agents, &json, &count, err, sizeof(err))
        != 0)
    {
        cc_log("SIGHUP: agents file rejected, previous profiles kept: %s",
               err);
        return;
    }

    free(rt->agents_json);
    rt->agents_json = json;
    rt->agents_count = count;

    /* not connected: loaded on connect */
    if (rt->redis.ctx != NULL) {
        cc_router_load_agents(rt);
    }
}

/* Connects and sets up; the first step after it is a full sweep. */
static void
cc_router_connect(cc_router_t *rt)
{
    if (cc_redis_connect(&rt->redis) != 0) {
        cc_redis_backoff(&rt->redis);
        return;
    }

    cc_log("redis connected, consumer %s in group %s", rt->name,
           CC_WORK_GROUP);

    cc_router_load_agents(rt);
    (void) cc_work_group(&rt->redis);
    rt->next_sweep = 0;
}

/* One routing step over every active queue, then the entries acknowledged. */
static void
cc_router_route(cc_router_t *rt)
{
    if (cc_route_step(&rt->redis, &rt->opts, rt->name) != 0) {
        return;
    }

    (void) cc_work_ack(&rt->redis, &rt->work);
}

/* One step: a full sweep when due, else the work that comes in a tick. */
static void
cc_router_step(cc_router_t *rt)
{
    long long  now;
    int        rc;

    rt->work.nids = 0;
    rt->work.queues.n = 0;

    now = cc_now_ms();

    if (now >= rt->next_sweep) {
        rt->next_sweep = now + rt->opts.tick_ms;

        if (cc_work_claim(&rt->redis, rt->name, &rt->work) == 0
            && cc_route_expire_calls(&rt->redis, &rt->opts) == 0)
        {
            cc_router_route(rt);
        }

        return;
    }

    rc = cc_work_read(&rt->redis, rt->name, (int) (rt->next_sweep - now),
                      &rt->work);

    if (rc != 0) {
        /* an error answer, not a lost connection: do not spin */
        if (rt->redis.ctx != NULL) {
            cc_redis_backoff(&rt->redis);
        }
        return;
    }

    if (rt->work.nids > 0) {
        cc_router_route(rt);
    }
}

int
main(int argc, char **argv)
{
    int           rc;
    char          err[512];
    cc_router_t  *rt;

    /* large (the work batch): not on the stack */
    rt = calloc(1, sizeof(cc_router_t));
    if (rt == NULL) {
        fprintf(stderr, "callcenter-router: out of memory\n");
        return 1;
    }

    rc = cc_options_parse(&rt->opts, argc, argv, err, sizeof(err));

    if (rc == CC_OPTIONS_HELP) {
        fputs(cc_options_usage, stdout);
        free(rt);
        return 0;
    }

    if (rc != CC_OPTIONS_OK) {
        fprintf(stderr, "callcenter-router: %s\n%s", err, cc_options_usage);
        free(rt);
        return 2;
    }

    cc_router_name(rt);
    cc_log_init(rt->name);

    if (rt->opts.agents != NULL
        && cc_agents_read(rt->opts.agents, &rt->agents_json,
                          &rt->agents_count, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "callcenter-router: agents file rejected: %s\n", err);
        free(rt);
        return 1;
    }

    if (cc_signals() != 0) {
        fprintf(stderr, "callcenter-router: sigaction failed\n");
        free(rt->agents_json);
        free(rt);
        return 1;
    }

    cc_redis_init(&rt->redis, &rt->opts);

    cc_redis_addr_format(&rt->opts.redis, err);

    cc_log("started redis=%s strategy=%s offer-timeout=%ds tick=%dms "
           "agents=%zu", err, rt->opts.strategy->name,
           rt->opts.offer_timeout, rt->opts.tick_ms, rt->agents_count);

    while (!cc_stop) {
        if (cc_reload) {
            cc_reload = 0;
            cc_router_reload(rt);
        }

        if (rt->redis.ctx == NULL) {
            cc_router_connect(rt);

        } else {
            cc_router_step(rt);
        }
    }

    cc_log("stopped");

    cc_redis_close(&rt->redis);
    free(rt->agents_json);
    free(rt);
    return 0;
}
