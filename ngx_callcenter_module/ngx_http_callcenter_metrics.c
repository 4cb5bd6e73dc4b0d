
/*
 * callcenter: the figures only the module knows, appended to the status
 * location's Prometheus answer: requests refused by reason (a refusing
 * library call writes nothing, so Redis cannot count them), and each
 * worker's open streams and Redis links.  They live in one shared memory
 * zone, a slot per nginx process, so whichever worker answers a scrape
 * reports every worker's; the zone, and so the counters, outlive a reload.
 */


#include "ngx_http_callcenter.h"


#define NGX_HTTP_CALLCENTER_METRICS_LINE  128   /* bytes, a sample at most */


/* the reasons a request is refused, in the order of the answer */
enum {
    NGX_HTTP_CALLCENTER_REFUSED_MESSAGES = 0,
    NGX_HTTP_CALLCENTER_REFUSED_STREAMS,
    NGX_HTTP_CALLCENTER_REFUSED_TOO_LARGE,
    NGX_HTTP_CALLCENTER_REFUSED_MEDIA_TYPE,
    NGX_HTTP_CALLCENTER_REFUSED_BAD_REQUEST,
    NGX_HTTP_CALLCENTER_REFUSED_CROSS_ORIGIN,
    NGX_HTTP_CALLCENTER_REFUSED_FORBIDDEN,
    NGX_HTTP_CALLCENTER_REFUSED_REDIS,
    NGX_HTTP_CALLCENTER_REFUSED_N
};


typedef struct {
    ngx_atomic_t                pid;         /* 0: no worker in the slot */
    ngx_atomic_t                worker;      /* its ngx_worker */
    ngx_atomic_t                streams[3];  /* caller, agent, status */
    ngx_atomic_t                links[2];    /* command, subscriber: up */
} ngx_http_callcenter_metrics_worker_t;


typedef struct {
    ngx_atomic_t                refused[NGX_HTTP_CALLCENTER_REFUSED_N];
    ngx_http_callcenter_metrics_worker_t  workers[NGX_MAX_PROCESSES];
} ngx_http_callcenter_metrics_t;


/* a gauge of every worker, from one of its slot's arrays */
typedef struct {
    const char                 *name;
    const char                 *help;
    const char                 *label;
    const char                **values;     /* the label's, one a sample */
    ngx_uint_t                  n;
    size_t                      offset;     /* of the array in the slot */
} ngx_http_callcenter_metrics_gauge_t;


static ngx_int_t ngx_http_callcenter_metrics_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);


static ngx_shm_zone_t                        *ngx_http_callcenter_metrics_zone;
/* this worker's slot, NULL in other processes or without the zone */
static ngx_http_callcenter_metrics_worker_t  *ngx_http_callcenter_metrics_me;


static struct {
    const char                 *reason;
    ngx_uint_t                  status;
} ngx_http_callcenter_refused[] = {
    { "too_many_messages", NGX_HTTP_TOO_MANY_REQUESTS },
    { "too_many_streams", NGX_HTTP_TOO_MANY_REQUESTS },
    { "body_too_large", NGX_HTTP_REQUEST_ENTITY_TOO_LARGE },
    { "unsupported_media_type", NGX_HTTP_UNSUPPORTED_MEDIA_TYPE },
    { "bad_request", NGX_HTTP_BAD_REQUEST },
    { "cross_origin", NGX_HTTP_FORBIDDEN },
    { "forbidden", NGX_HTTP_FORBIDDEN },
    { "redis_unavailable", NGX_HTTP_SERVICE_UNAVAILABLE }
};

static const char  *ngx_http_callcenter_metrics_parties[] = {
    "caller", "agent", "status"
};

static const char  *ngx_http_callcenter_metrics_links[] = {
    "command", "subscriber"
};

static ngx_http_callcenter_metrics_gauge_t  ngx_http_callcenter_metrics_gauges[]
    = {
    { "callcenter_worker_streams",
      "Event streams open in the nginx worker, by party.",
      "party", ngx_http_callcenter_metrics_parties, 3,
      offsetof(ngx_http_callcenter_metrics_worker_t, streams) },

    { "callcenter_worker_redis_up",
      "1 while the nginx worker's Redis link is ready, else 0.",
      "link", ngx_http_callcenter_metrics_links, 2,
      offsetof(ngx_http_callcenter_metrics_worker_t, links) }
};


ngx_int_t
ngx_http_callcenter_metrics_add_zone(ngx_conf_t *cf)
{
    ngx_str_t        name;
    ngx_shm_zone_t  *zone;

    ngx_str_set(&name, "callcenter_metrics");

    /* the slab pool's own pages, then ours */

    zone = ngx_shared_memory_add(cf, &name,
                                 8 * ngx_pagesize
                                 + ngx_align(sizeof(
                                               ngx_http_callcenter_metrics_t),
                                             ngx_pagesize),
                                 &ngx_http_callcenter_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_callcenter_metrics_init_zone;

    ngx_http_callcenter_metrics_zone = zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_callcenter_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* a reload: the counters go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool,
                                     sizeof(ngx_http_callcenter_metrics_t));
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;

    return NGX_OK;
}


void
ngx_http_callcenter_metrics_init_process(ngx_cycle_t *cycle)
{
    ngx_http_callcenter_metrics_t         *m;
    ngx_http_callcenter_metrics_worker_t  *w;

    ngx_http_callcenter_metrics_me = NULL;

    if ((ngx_process != NGX_PROCESS_WORKER
         && ngx_process != NGX_PROCESS_SINGLE)
        || ngx_http_callcenter_metrics_zone == NULL
        || ngx_http_callcenter_metrics_zone->data == NULL
        || ngx_process_slot < 0 || ngx_process_slot >= NGX_MAX_PROCESSES)
    {
        return;
    }

    m = ngx_http_callcenter_metrics_zone->data;
    w = &m->workers[ngx_process_slot];

    /* the slot of a process gone (a crash): this one's now */

    ngx_memzero((void *) w->streams, sizeof(w->streams));
    ngx_memzero((void *) w->links, sizeof(w->links));
    w->worker = ngx_worker;

    ngx_memory_barrier();

    w->pid = ngx_pid;

    ngx_http_callcenter_metrics_me = w;
}


void
ngx_http_callcenter_metrics_exit_process(void)
{
    if (ngx_http_callcenter_metrics_me != NULL) {
        ngx_http_callcenter_metrics_me->pid = 0;
        ngx_http_callcenter_metrics_me = NULL;
    }
}


/* called by ngx_http_callcenter_send_error() for every error answer */

void
ngx_http_callcenter_metrics_refused(ngx_uint_t status, const char *message)
{
    ngx_uint_t                      i;
    ngx_http_callcenter_metrics_t  *m;

    if (ngx_http_callcenter_metrics_me == NULL) {
        return;
    }

    /* the two reasons of one status: the one word tells them apart */

    switch (status) {

    case NGX_HTTP_TOO_MANY_REQUESTS:
        i = ngx_strstr(message, "streams")
            ? NGX_HTTP_CALLCENTER_REFUSED_STREAMS
            : NGX_HTTP_CALLCENTER_REFUSED_MESSAGES;
        break;

    case NGX_HTTP_FORBIDDEN:
        i = ngx_strstr(message, "cross-origin")
            ? NGX_HTTP_CALLCENTER_REFUSED_CROSS_ORIGIN
            : NGX_HTTP_CALLCENTER_REFUSED_FORBIDDEN;
        break;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        i = NGX_HTTP_CALLCENTER_REFUSED_TOO_LARGE;
        break;

    case NGX_HTTP_UNSUPPORTED_MEDIA_TYPE:
        i = NGX_HTTP_CALLCENTER_REFUSED_MEDIA_TYPE;
        break;

    case NGX_HTTP_BAD_REQUEST:
        i = NGX_HTTP_CALLCENTER_REFUSED_BAD_REQUEST;
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        i = NGX_HTTP_CALLCENTER_REFUSED_REDIS;
        break;

    default:
        /* 404, 405, 409, 500: not a refusal an operator watches */
        return;
    }

    m = ngx_http_callcenter_metrics_zone->data;

    (void) ngx_atomic_fetch_add(&m->refused[i], 1);
}


void
ngx_http_callcenter_metrics_stream(ngx_uint_t party, ngx_int_t delta)
{
    ngx_http_callcenter_metrics_worker_t  *w;

    w = ngx_http_callcenter_metrics_me;

    if (w == NULL || party < NGX_HTTP_CALLCENTER_CALLER
        || party > NGX_HTTP_CALLCENTER_STATUS)
    {
        return;
    }

    /* only this worker writes its slot */
    w->streams[party - NGX_HTTP_CALLCENTER_CALLER] += delta;
}


void
ngx_http_callcenter_metrics_link(ngx_uint_t subscriber, ngx_uint_t up)
{
    if (ngx_http_callcenter_metrics_me != NULL) {
        ngx_http_callcenter_metrics_me->links[subscriber ? 1 : 0] = up;
    }
}


/* a slot whose process is gone without a word (killed) is skipped */

static ngx_uint_t
ngx_http_callcenter_metrics_alive(ngx_pid_t pid)
{
    return pid != 0
           && (pid == ngx_pid || kill(pid, 0) == 0 || ngx_errno != NGX_ESRCH);
}


/*
 * A gauge's samples, one per worker and value of one of its arrays: the
 * labels are the worker's number and pid, unique even while a reload's
 * old workers finish beside the new ones.
 */

static u_char *
ngx_http_callcenter_metrics_workers(u_char *last,
    ngx_http_callcenter_metrics_worker_t *live, ngx_uint_t n,
    ngx_http_callcenter_metrics_gauge_t *g)
{
    ngx_uint_t     i, k;
    ngx_atomic_t  *values;

    last = ngx_sprintf(last, "# HELP %s %s\n# TYPE %s gauge\n",
                       g->name, g->help, g->name);

    for (i = 0; i < n; i++) {
        values = (ngx_atomic_t *) ((u_char *) &live[i] + g->offset);

        for (k = 0; k < g->n; k++) {
            last = ngx_sprintf(last, "%s{worker=\"%uA\",pid=\"%P\","
                               "%s=\"%s\"} %A\n",
                               g->name, live[i].worker,
                               (ngx_pid_t) live[i].pid, g->label,
                               g->values[k], (ngx_atomic_int_t) values[k]);
        }
    }

    return last;
}


ngx_int_t
ngx_http_callcenter_metrics_append(ngx_http_request_t *r, ngx_str_t *text)
{
    u_char                                *p, *last;
    ngx_uint_t                             i, n;
    ngx_http_callcenter_metrics_t         *m;
    ngx_http_callcenter_metrics_gauge_t   *g;
    ngx_http_callcenter_metrics_worker_t  *w, *live;

    static ngx_str_t  refused = ngx_string(
        "# HELP callcenter_http_refused_total Requests the nginx module "
        "refused, by reason (nothing was written).\n"
        "# TYPE callcenter_http_refused_total counter\n");

    if (ngx_http_callcenter_metrics_me == NULL) {
        return NGX_OK;
    }

    m = ngx_http_callcenter_metrics_zone->data;

    /* a copy of the live workers' slots: they change while we write */

    live = ngx_palloc(r->pool, NGX_MAX_PROCESSES
                               * sizeof(ngx_http_callcenter_metrics_worker_t));
    if (live == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < NGX_MAX_PROCESSES; i++) {
        w = &m->workers[i];

        if (ngx_http_callcenter_metrics_alive((ngx_pid_t) w->pid)) {
            ngx_memcpy(&live[n++], (void *) w,
                       sizeof(ngx_http_callcenter_metrics_worker_t));
        }
    }

    /* a HELP or TYPE line is shorter than a sample */

    p = ngx_pnalloc(r->pool, text->len + NGX_HTTP_CALLCENTER_METRICS_LINE
                             * (3 * 2 + NGX_HTTP_CALLCENTER_REFUSED_N
                                + 5 * n));
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = text->len ? ngx_cpymem(p, text->data, text->len) : p;
    last = ngx_cpymem(last, refused.data, refused.len);

    for (i = 0; i < NGX_HTTP_CALLCENTER_REFUSED_N; i++) {
        last = ngx_sprintf(last,
                           "callcenter_http_refused_total{reason=\"%s\","
                           "status=\"%ui\"} %uA\n",
                           ngx_http_callcenter_refused[i].reason,
                           ngx_http_callcenter_refused[i].status,
                           m->refused[i]);
    }

    g = ngx_http_callcenter_metrics_gauges;

    for (i = 0; i < sizeof(ngx_http_callcenter_metrics_gauges)
                    / sizeof(ngx_http_callcenter_metrics_gauge_t); i++)
    {
        last = ngx_http_callcenter_metrics_workers(last, live, n, &g[i]);
    }

    text->data = p;
    text->len = last - p;

    return NGX_OK;
}
