/*
 * callcenter-router: offers waiting calls to agents.  A loop around one
 * blocking XREADGROUP on cc:work, with a full sweep once a tick; see
 * docs/DESIGN.md, "The router".
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
#include "queues_file.h"
#include "redis.h"
#include "route.h"
#include "stats.h"
#include "work.h"

#define CC_HOURS_REFRESH  (10 * 60 * 1000)      /* ms */

typedef struct {
    cc_options_t         opts;
    char                 name[CC_CONSUMER_MAX + 1];
    char                *agents_json;    /* normalized; NULL: no --agents */
    size_t               agents_count;
    cc_queue_settings_t  defaults;       /* of queues the file omits */
    cc_queues_file_t     queues;         /* none without --queues */
    cc_redis_t           redis;
    cc_work_t            work;
    long long            next_sweep;     /* monotonic ms */
    long long            next_hours;     /* monotonic ms */
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
cc_clock_ms(clockid_t clock)
{
    struct timespec  ts;

    clock_gettime(clock, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
cc_now_ms(void)
{
    return cc_clock_ms(CLOCK_MONOTONIC);
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

/* FCALL cc_agents_load with the profiles read last; -1: link lost. */
static int
cc_router_load_agents(cc_router_t *rt)
{
    redisReply  *reply;
    const char  *argv[4];

    if (rt->agents_json == NULL) {
        return 0;
    }

    argv[0] = "FCALL";
    argv[1] = CC_FN("cc_agents_load");
    argv[2] = "0";
    argv[3] = rt->agents_json;

    reply = cc_redis_command(&rt->redis, 4, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("agents not loaded: cc_agents_load: %s", reply->str);

    } else {
        cc_log("agents loaded count=%lld file=%s", reply->integer,
               rt->opts.agents);
    }

    freeReplyObject(reply);
    return 0;
}

/*
 * FCALL cc_queue_hours for each queue with hours, from now, and when to
 * do it again; -1: link lost.
 */
static int
cc_router_hours(cc_router_t *rt)
{
    char                       offset[24];
    char                      *hours;
    size_t                     i;
    long long                  now, day_offset;
    redisReply                *reply;
    const char                *argv[6];
    const cc_queue_settings_t *q;

    rt->next_hours = cc_now_ms() + CC_HOURS_REFRESH;
    now = cc_clock_ms(CLOCK_REALTIME);

    for (i = 0; i < rt->queues.n; i++) {
        q = &rt->queues.queue[i];
        if (!q->has_hours) {
            continue;
        }

        hours = cc_queue_hours_json(q, now, &day_offset);
        if (hours == NULL) {
            cc_log("queue=%s: hours not computed (out of memory or zone "
                   "%s unusable)", q->name, q->hours.zone);
            continue;
        }

        snprintf(offset, sizeof(offset), "%lld", day_offset);
        argv[0] = "FCALL";
        argv[1] = CC_FN("cc_queue_hours");
        argv[2] = "0";
        argv[3] = q->name;
        argv[4] = hours;
        argv[5] = offset;

        reply = cc_redis_command(&rt->redis, 6, argv);
        free(hours);

        if (reply == NULL) {
            return -1;
        }

        if (reply->type == REDIS_REPLY_ERROR) {
            cc_log("queue=%s: cc_queue_hours: %s", q->name, reply->str);
        }

        freeReplyObject(reply);
    }

    return 0;
}

/*
 * FCALL cc_queues_load with the settings read last (without --queues,
 * none: the library still learns the defaults), then the hours; -1: link
 * lost.
 */
static int
cc_router_load_queues(cc_router_t *rt)
{
    char        *settings, *defaults;
    long long    now;
    redisReply  *reply;
    const char  *argv[5];

    now = cc_clock_ms(CLOCK_REALTIME);
    settings = cc_queues_file_json(&rt->queues, now);
    defaults = cc_queue_settings_json(&rt->defaults, now);

    if (settings == NULL || defaults == NULL) {
        cc_log("queues not loaded: out of memory or a zone unusable");
        free(settings);
        free(defaults);
        return 0;
    }

    argv[0] = "FCALL";
    argv[1] = CC_FN("cc_queues_load");
    argv[2] = "0";
    argv[3] = settings;
    argv[4] = defaults;

    reply = cc_redis_command(&rt->redis, 5, argv);
    free(settings);
    free(defaults);

    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("queues not loaded: cc_queues_load: %s", reply->str);

    } else {
        cc_log("queues loaded count=%zu file=%s", rt->queues.n,
               rt->opts.queues != NULL ? rt->opts.queues : "(none)");
    }

    freeReplyObject(reply);

    return cc_router_hours(rt);
}

/* Agents first: the queues they name are known when the settings come. */
static int
cc_router_load(cc_router_t *rt)
{
    if (cc_router_load_agents(rt) != 0) {
        return -1;
    }

    return cc_router_load_queues(rt);
}

/*
 * Reads the agents and the queues files given, and checks that overflows
 * go to queues they name; 0 with *agents (NULL without --agents) and
 * *queues, -1 with what was wrong in *what ("agents" or "queues") and err.
 */
static int
cc_router_read(cc_router_t *rt, char **agents, size_t *count,
    cc_queues_file_t *queues, const char **what, char *err, size_t err_size)
{
    char  why[300];

    *agents = NULL;
    *count = 0;
    memset(queues, 0, sizeof(*queues));

    if (rt->opts.agents != NULL
        && cc_agents_read(rt->opts.agents, agents, count, err, err_size)
           != 0)
    {
        *what = "agents";
        return -1;
    }

    if (rt->opts.queues != NULL
        && cc_queues_file_read(rt->opts.queues, &rt->defaults, queues, err,
                               err_size) != 0)
    {
        free(*agents);
        *agents = NULL;
        *what = "queues";
        return -1;
    }

    /* without --agents, the profiles another router loaded: its check */
    if (*agents != NULL
        && cc_queues_file_known(queues, *agents, why, sizeof(why)) != 0)
    {
        snprintf(err, err_size, "%s: %s", rt->opts.queues, why);
        free(*agents);
        *agents = NULL;
        cc_queues_file_free(queues);
        *what = "queues";
        return -1;
    }

    return 0;
}

/* SIGHUP: a bad file is logged, and the profiles and settings stay. */
static void
cc_router_reload(cc_router_t *rt)
{
    char              *json;
    size_t             count;
    const char        *what;
    cc_queues_file_t   queues;
    char               err[512];

    if (rt->opts.agents == NULL && rt->opts.queues == NULL) {
        cc_log("SIGHUP: no --agents or --queues file to reload");
        return;
    }

    if (cc_router_read(rt, &json, &count, &queues, &what, err, sizeof(err))
        != 0)
    {
        cc_log("SIGHUP: %s file rejected, previous profiles and settings "
               "kept: %s", what, err);
        return;
    }

    free(rt->agents_json);
    rt->agents_json = json;
    rt->agents_count = count;
    cc_queues_file_free(&rt->queues);
    rt->queues = queues;

    /* not connected: loaded on connect */
    if (rt->redis.ctx != NULL) {
        (void) cc_router_load(rt);
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

    if (cc_router_load(rt) != 0) {
        return;
    }

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

    now = cc_now_ms();

    if (now >= rt->next_hours) {
        (void) cc_router_hours(rt);
        return;
    }

    if (now >= rt->next_sweep) {
        rt->next_sweep = now + rt->opts.tick_ms;

        if (cc_work_claim(&rt->redis, rt->name, &rt->work) == 0) {
            cc_stats.claims += (long long) rt->work.nids;
            cc_stats.sweeps++;

            if (cc_route_expire_calls(&rt->redis, &rt->opts) == 0) {
                cc_router_route(rt);
            }

            (void) cc_stats_report(&rt->redis, rt->name, 1);
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
        (void) cc_stats_report(&rt->redis, rt->name, 0);
    }
}

int
main(int argc, char **argv)
{
    int           rc;
    char          err[512];
    const char   *what;
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

    cc_queues_defaults(&rt->defaults, rt->opts.strategy_name,
                       rt->opts.offer_timeout, rt->opts.max_wait);

    if (cc_router_read(rt, &rt->agents_json, &rt->agents_count, &rt->queues,
                       &what, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "callcenter-router: %s file rejected: %s\n", what,
                err);
        free(rt);
        return 1;
    }

    if (cc_signals() != 0) {
        fprintf(stderr, "callcenter-router: sigaction failed\n");
        free(rt->agents_json);
        cc_queues_file_free(&rt->queues);
        free(rt);
        return 1;
    }

    cc_redis_init(&rt->redis, &rt->opts);

    cc_redis_addr_format(&rt->opts.redis, err);

    cc_log("started redis=%s strategy=%s offer-timeout=%ds tick=%dms "
           "agents=%zu queues=%zu", err, rt->opts.strategy_name,
           rt->opts.offer_timeout, rt->opts.tick_ms, rt->agents_count,
           rt->queues.n);

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
    cc_queues_file_free(&rt->queues);
    free(rt);
    return 0;
}
