
/*
 * callcenter: queue and agent figures (a location with callcenter_status):
 * one answer per request, JSON or Prometheus, or an event stream of them.
 *
 * The streams of a worker share one feed: while the worker has any, a
 * timer asks for the figures once an interval, and an answer whose figures
 * differ from the last one is a new status event for every stream.  Redis
 * sees one cc_status per interval per worker, however many watch.
 *
 * A JSON answer and the feed ask for what changed since the worker's last
 * reply (cc_status json delta) and answer the worker's mirror of the
 * figures (ngx_http_callcenter_status_mirror.c), which they share.
 */


#include "ngx_http_callcenter.h"
#include "cc_sse.h"


#define NGX_HTTP_CALLCENTER_STATUS_INTERVAL  1000    /* ms between asks */


typedef struct {
    ngx_event_t                 timer;
    u_char                     *data;       /* the last answer */
    size_t                      len;
    ngx_msec_t                  at;         /* when it came */
    cc_sse_id_t                 id;         /* its event's */
    u_char                      id_str[CC_SSE_ID_MAX];
    size_t                      id_len;
    ngx_uint_t                  mirror;     /* the generation asked from */
    unsigned                    pending:1;  /* cc_status on its way */
    unsigned                    again:1;    /* asked again with no mirror */
} ngx_http_callcenter_status_feed_t;


static ngx_int_t ngx_http_callcenter_status_stream(ngx_http_request_t *r);
static ngx_int_t ngx_http_callcenter_status_prometheus(ngx_http_request_t *r,
    u_char *data, size_t len);
static ssize_t ngx_http_callcenter_status_len(redisReply *reply);
static void ngx_http_callcenter_status_join(u_char *p, redisReply *reply);
static void ngx_http_callcenter_status_reply(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_callcenter_status_json(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_status_ask(void);
static void ngx_http_callcenter_status_timer_handler(ngx_event_t *ev);
static void ngx_http_callcenter_status_feed_reply(ngx_http_request_t *r,
    redisReply *reply);


static ngx_http_callcenter_status_feed_t  ngx_http_callcenter_status_feed;

/* the local channel of the status streams: no Redis key has a space */
static ngx_str_t  ngx_http_callcenter_status_channel =
    ngx_string("callcenter status");
static ngx_str_t  ngx_http_callcenter_status_event = ngx_string("status");

/*
 * cc_status FORMAT parts: the answer in parts, joined here, so that Redis's
 * Lua makes no copy of the whole text (its strings cost time by the byte)
 */
static ngx_str_t  ngx_http_callcenter_status_parts = ngx_string("parts");


ngx_int_t
ngx_http_callcenter_status_handler(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_str_t                   format, stream, args[4];
    ngx_uint_t                  sse;
    ngx_table_elt_t            *h;
    ngx_http_callcenter_ctx_t  *ctx;

    if (path->len) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_callcenter_send_not_allowed(r, "GET, HEAD");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ctx = ngx_http_callcenter_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_http_callcenter_header(r, "Accept");

    sse = (h != NULL
           && ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                               (u_char *) "text/event-stream",
                               sizeof("text/event-stream") - 2)
              != NULL)
          || (ngx_http_callcenter_arg(r, "stream", &stream) == NGX_OK
              && stream.len == 1 && stream.data[0] == '1');

    if (ngx_http_callcenter_arg(r, "format", &format) != NGX_OK) {
        ngx_str_set(&format, "json");
    }

    if ((format.len != 4 || ngx_strncmp(format.data, "json", 4) != 0)
        && (sse || format.len != 10
            || ngx_strncmp(format.data, "prometheus", 10) != 0))
    {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              sse ? "format: a stream is "
                                                    "json"
                                                  : "format: want json or "
                                                    "prometheus");
    }

    if (sse) {
        return ngx_http_callcenter_status_stream(r);
    }

    ctx->status = format;

    if (format.len == 4) {
        ctx->mirror = ngx_http_callcenter_status_mirror_args(args);

        return ngx_http_callcenter_fcall(r, ngx_http_callcenter_status_reply,
                                         "cc_status", 4, args);
    }

    if (!ngx_http_callcenter_redis_connected()) {
        /* Redis away: the module's figures say so, and how many 503 */
        return ngx_http_callcenter_status_prometheus(r, NULL, 0);
    }

    args[0] = format;
    args[1] = ngx_http_callcenter_status_parts;

    return ngx_http_callcenter_fcall(r, ngx_http_callcenter_status_reply,
                                     "cc_status", 2, args);
}


/* the library's figures (len 0: none, Redis away), then the module's */

static ngx_int_t
ngx_http_callcenter_status_prometheus(ngx_http_request_t *r, u_char *data,
    size_t len)
{
    ngx_str_t  text;

    static ngx_str_t  type = ngx_string("text/plain; version=0.0.4");

    text.data = data;
    text.len = len;

    if (ngx_http_callcenter_metrics_append(r, &text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_callcenter_send_pooled(r, NGX_HTTP_OK, &type, text.data,
                                           text.len);
}


/*
 * the length of an answer's text: its parts (strings) together, or -1; a
 * string: the text of a library older than "delta", which takes it for
 * "parts" not given
 */

static ssize_t
ngx_http_callcenter_status_len(redisReply *reply)
{
    size_t  i, len;

    if (reply->type == REDIS_REPLY_STRING) {
        return reply->len;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        return -1;
    }

    len = 0;

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            return -1;
        }

        len += reply->element[i]->len;
    }

    return len;
}


static void
ngx_http_callcenter_status_join(u_char *p, redisReply *reply)
{
    size_t  i;

    if (reply->type == REDIS_REPLY_STRING) {
        ngx_memcpy(p, reply->str, reply->len);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        p = ngx_cpymem(p, reply->element[i]->str, reply->element[i]->len);
    }
}


static void
ngx_http_callcenter_status_reply(ngx_http_request_t *r, redisReply *reply)
{
    u_char                     *text;
    ssize_t                     len;
    ngx_http_callcenter_ctx_t  *ctx;

    static ngx_str_t  json = ngx_string("application/json");

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    if (reply == NULL && ctx->status.len == 10) {
        /* Redis lost or late */
        ngx_http_finalize_request(r,
                         ngx_http_callcenter_status_prometheus(r, NULL, 0));
        return;
    }

    if (ctx->status.len == 4
        && ngx_http_callcenter_status_json(r, reply) != NGX_DECLINED)
    {
        return;
    }

    len = (reply == NULL) ? -1 : ngx_http_callcenter_status_len(reply);

    if (len == -1 || (len == 0 && ctx->status.len == 4)) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    text = ngx_pnalloc(r->pool, len ? len : 1);
    if (text == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_callcenter_status_join(text, reply);

    if (ctx->status.len == 10) {
        ngx_http_finalize_request(r,
                     ngx_http_callcenter_status_prometheus(r, text, len));
        return;
    }

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_pooled(r, NGX_HTTP_OK, &json, text,
                                             len));
}


/*
 * A reply to cc_status json delta, applied to the mirror, and r answered
 * from it: NGX_OK (r finalized or asked again), or NGX_DECLINED when it is
 * no such reply (an error, an older library's text, NULL)
 */

static ngx_int_t
ngx_http_callcenter_status_json(ngx_http_request_t *r, redisReply *reply)
{
    u_char                     *text, *last;
    ngx_int_t                   rc;
    ngx_str_t                   args[4];
    ngx_http_callcenter_ctx_t  *ctx;

    static ngx_str_t  json = ngx_string("application/json");

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    rc = ngx_http_callcenter_status_mirror_apply(reply, ctx->mirror);

    switch (rc) {

    case NGX_OK:
        text = ngx_pnalloc(r->pool, ngx_http_callcenter_status_mirror_size());
        if (text == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return NGX_OK;
        }

        last = ngx_http_callcenter_status_mirror_render(text);

        ngx_http_finalize_request(r,
                 ngx_http_callcenter_send_pooled(r, NGX_HTTP_OK, &json,
                                                 text, last - text));
        return NGX_OK;

    case NGX_AGAIN:
        /* the changes since a mirror emptied meanwhile: all, once more */

        if (!ctx->asked_again) {
            ctx->asked_again = 1;
            ctx->mirror = ngx_http_callcenter_status_mirror_args(args);

            /* the reference r holds for the first ask serves this one */

            if (ngx_http_callcenter_redis_fcall(r,
                                             ngx_http_callcenter_status_reply,
                                             "cc_status", 4, args)
                == NGX_OK)
            {
                return NGX_OK;
            }
        }

        /* fall through */

    case NGX_ERROR:
        ngx_http_callcenter_finalize_reply_error(r, NULL);
        return NGX_OK;

    default:
        return NGX_DECLINED;
    }
}


/*
 * A status stream: the last answer at once when it is fresh, else the
 * next ask comes now.  Redis away: heartbeats until it is back.
 */

static ngx_int_t
ngx_http_callcenter_status_stream(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_array_t                         snapshot;
    ngx_http_callcenter_event_t         ev;
    ngx_http_callcenter_stream_conf_t   scf;
    ngx_http_callcenter_status_feed_t  *feed;

    feed = &ngx_http_callcenter_status_feed;

    if (ngx_http_callcenter_sse_conn(r, NGX_HTTP_CALLCENTER_STATUS, NULL,
                                     &rc)
        != NGX_OK)
    {
        return rc;
    }

    if (feed->timer.handler == NULL) {
        feed->timer.handler = ngx_http_callcenter_status_timer_handler;
        feed->timer.data = feed;
        feed->timer.log = ngx_cycle->log;
        feed->timer.cancelable = 1;
    }

    ngx_memzero(&scf, sizeof(ngx_http_callcenter_stream_conf_t));

    scf.channel = ngx_http_callcenter_status_channel;
    ngx_str_set(&scf.last_id, "0-0");
    scf.party = NGX_HTTP_CALLCENTER_STATUS;
    scf.local = 1;

    if (feed->data
        && ngx_current_msec - feed->at <= NGX_HTTP_CALLCENTER_STATUS_INTERVAL)
    {
        /* read only during ngx_http_callcenter_sse_start() */
        ev.event = ngx_http_callcenter_status_event;
        ev.data.data = feed->data;
        ev.data.len = feed->len;

        ngx_memzero(&snapshot, sizeof(ngx_array_t));
        snapshot.elts = &ev;
        snapshot.nelts = 1;
        snapshot.size = sizeof(ngx_http_callcenter_event_t);

        scf.snapshot = &snapshot;
        scf.snapshot_id.data = feed->id_str;
        scf.snapshot_id.len = feed->id_len;
    }

    /* ngx_http_callcenter_sse_start() finalizes r: its reference */
    r->main->count++;

    ngx_http_callcenter_sse_start(r, &scf);

    if (!ngx_http_callcenter_sse_local_streams(
                                          &ngx_http_callcenter_status_channel))
    {
        return NGX_DONE;
    }

    if (scf.snapshot == NULL) {
        ngx_http_callcenter_status_ask();
    }

    if (!feed->timer.timer_set) {
        ngx_add_timer(&feed->timer, NGX_HTTP_CALLCENTER_STATUS_INTERVAL);
    }

    return NGX_DONE;
}


/* the feed */

static void
ngx_http_callcenter_status_ask(void)
{
    ngx_str_t                           args[4];
    ngx_http_callcenter_status_feed_t  *feed;

    feed = &ngx_http_callcenter_status_feed;

    if (feed->pending) {
        /* the answer on its way serves */
        return;
    }

    feed->mirror = ngx_http_callcenter_status_mirror_args(args);

    /* NGX_DECLINED (Redis away), NGX_ERROR: the next interval asks again */

    if (ngx_http_callcenter_redis_fcall(NULL,
                                        ngx_http_callcenter_status_feed_reply,
                                        "cc_status", 4, args)
        == NGX_OK)
    {
        feed->pending = 1;
    }
}


/* runs while the worker has status streams */

static void
ngx_http_callcenter_status_timer_handler(ngx_event_t *ev)
{
    if (ngx_exiting || ngx_terminate
        || !ngx_http_callcenter_sse_local_streams(
                                          &ngx_http_callcenter_status_channel))
    {
        return;
    }

    ngx_http_callcenter_status_ask();

    ngx_add_timer(ev, NGX_HTTP_CALLCENTER_STATUS_INTERVAL);
}


/* the figures of an answer: all but its leading "time" member */

static void
ngx_http_callcenter_status_figures(u_char *data, size_t len, ngx_str_t *out)
{
    u_char  *p, *last;

    static u_char  prefix[] = "{\"time\":";

    p = data;
    last = data + len;

    if ((size_t) (last - p) > sizeof(prefix) - 1
        && ngx_strncmp(p, prefix, sizeof(prefix) - 1) == 0)
    {
        p += sizeof(prefix) - 1;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    out->data = p;
    out->len = last - p;
}


static void
ngx_http_callcenter_status_feed_reply(ngx_http_request_t *r,
    redisReply *reply)
{
    u_char                             *text;
    ssize_t                             len;
    ngx_int_t                           rc;
    ngx_str_t                           a, b, id, data;
    ngx_uint_t                          changed;
    ngx_time_t                         *tp;
    uint64_t                            ms;
    ngx_http_callcenter_status_feed_t  *feed;

    feed = &ngx_http_callcenter_status_feed;
    feed->pending = 0;

    rc = ngx_http_callcenter_status_mirror_apply(reply, feed->mirror);

    if (reply == NULL) {
        /* Redis away or late: the next interval asks again */
        return;
    }

    if (rc == NGX_AGAIN && !feed->again) {
        /* the changes since a mirror emptied meanwhile: all, once more */
        feed->again = 1;
        ngx_http_callcenter_status_ask();
        return;
    }

    feed->again = 0;

    if (rc == NGX_OK) {
        text = ngx_alloc(ngx_http_callcenter_status_mirror_size(),
                         ngx_cycle->log);
        if (text == NULL) {
            return;
        }

        len = ngx_http_callcenter_status_mirror_render(text) - text;

    } else if (rc == NGX_DECLINED) {
        len = ngx_http_callcenter_status_len(reply);

        if (len <= 0) {
            ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                          "callcenter: cc_status: %s",
                          reply->type == REDIS_REPLY_ERROR
                          ? reply->str : "unexpected reply");
            return;
        }

        text = ngx_alloc(len, ngx_cycle->log);
        if (text == NULL) {
            return;
        }

        ngx_http_callcenter_status_join(text, reply);

    } else {
        /* NGX_ERROR (logged), NGX_AGAIN twice: the next interval asks */
        return;
    }

    changed = 1;

    if (feed->data) {
        ngx_http_callcenter_status_figures(feed->data, feed->len, &a);
        ngx_http_callcenter_status_figures(text, len, &b);

        changed = (a.len != b.len || ngx_memcmp(a.data, b.data, a.len) != 0);
    }

    /* kept even when unchanged: a new stream gets the latest time */

    ngx_free(feed->data);

    feed->data = text;
    feed->len = len;
    feed->at = ngx_current_msec;

    if (changed) {
        /* ids grow across workers and reloads: the wall clock's ms */

        tp = ngx_timeofday();
        ms = (uint64_t) tp->sec * 1000 + tp->msec;

        if (ms > feed->id.ms) {
            feed->id.ms = ms;
            feed->id.seq = 0;

        } else {
            feed->id.seq++;
        }

        feed->id_len = cc_sse_id_format((char *) feed->id_str, &feed->id);
    }

    /* unchanged: only the streams still without it write it */

    id.data = feed->id_str;
    id.len = feed->id_len;
    data.data = feed->data;
    data.len = feed->len;

    ngx_http_callcenter_sse_local(&ngx_http_callcenter_status_channel, &id,
                                  &ngx_http_callcenter_status_event, &data);
}


void
ngx_http_callcenter_status_exit_process(void)
{
    ngx_free(ngx_http_callcenter_status_feed.data);
    ngx_http_callcenter_status_feed.data = NULL;

    ngx_http_callcenter_status_mirror_free();
}
