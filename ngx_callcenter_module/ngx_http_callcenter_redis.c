
/*
 * callcenter: the worker's two Redis links, hiredis async contexts driven
 * by nginx's event loop.  The command link is shared by every request and
 * pipelined; the subscriber link carries the event streams' channels.
 * With Sentinel each link finds the master by itself (common/
 * cc_redis_sentinel.h): its context first goes to a sentinel, then to the
 * master it names, and a lost link or a READONLY answer starts over.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sys/random.h>
#include <hiredis/async.h>

#include "ngx_http_callcenter.h"
#include "cc_functions.h"
#include "cc_keys.h"
#include "cc_redis_handshake.h"
#include "cc_redis_sentinel.h"


#define NGX_HTTP_CALLCENTER_REDIS_DOWN        0
#define NGX_HTTP_CALLCENTER_REDIS_CONNECTING  1
#define NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE   2
#define NGX_HTTP_CALLCENTER_REDIS_READY       3

#define NGX_HTTP_CALLCENTER_REDIS_PING         5000    /* ms, idle link */
#define NGX_HTTP_CALLCENTER_REDIS_ASK          500     /* ms, a sentinel's
                                                        * connect and answer */
#define NGX_HTTP_CALLCENTER_REDIS_WAIT_FAST    10      /* ms, WAIT while
                                                        * replicas fall short */



typedef struct {
    redisAsyncContext              *ac;
    ngx_uint_t                      state;
    ngx_uint_t                      subscriber;  /* 1: the subscriber link */
    ngx_event_t                     timer;       /* connect deadline when
                                                  * connecting, backoff when
                                                  * down */
    ngx_event_t                     drop;        /* posted: free ac */
    ngx_msec_t                      backoff;
    const char                     *name;
    cc_redis_handshake_t            handshake;   /* what a connect sends */
    ngx_uint_t                      answered;    /* steps answered */
    cc_redis_sentinel_t             sentinel;    /* with Sentinel */
    cc_redis_endpoint_t             moved;       /* the Cluster node a
                                                  * MOVED named */
    unsigned                        failed:1;    /* lost once: never again
                                                  * a command before the
                                                  * connect is known */
    unsigned                        asking:1;    /* ac is to a sentinel */
    unsigned                        found:1;     /* the sentinel named the
                                                  * master: go there next */
    unsigned                        moving:1;    /* go to moved next */
} ngx_http_callcenter_redis_link_t;


typedef struct ngx_http_callcenter_redis_record_s {
    ngx_queue_t                     queue;       /* outstanding, oldest
                                                  * first */
    ngx_http_request_t             *request;     /* NULL: gone or own */
    ngx_http_callcenter_reply_pt    handler;
    ngx_http_callcenter_data_reply_pt  data_handler;  /* own, with data */
    void                           *data;
    ngx_pool_cleanup_t             *cleanup;
    ngx_msec_t                      sent;
    redisReply                     *held;        /* the write's answer, a
                                                  * copy, until confirmed */
    struct ngx_http_callcenter_redis_record_s  *write;  /* of a WAIT: the
                                                  * write it confirms */
    unsigned                        own:1;       /* the worker's command */
    unsigned                        confirm:1;   /* a WAIT follows */
    unsigned                        unwaited:1;  /* no WAIT could
                                                  * follow: 503 */
} ngx_http_callcenter_redis_record_t;


static ngx_int_t ngx_http_callcenter_redis_connect(
    ngx_http_callcenter_redis_link_t *link);
static void ngx_http_callcenter_redis_lost(
    ngx_http_callcenter_redis_link_t *link);
static ngx_int_t ngx_http_callcenter_redis_handshake(
    ngx_http_callcenter_redis_link_t *link);
static void ngx_http_callcenter_redis_drop(
    ngx_http_callcenter_redis_link_t *link);
static void ngx_http_callcenter_redis_free(
    ngx_http_callcenter_redis_link_t *link);
static void ngx_http_callcenter_redis_timer_handler(ngx_event_t *ev);
static void ngx_http_callcenter_redis_drop_handler(ngx_event_t *ev);
static void ngx_http_callcenter_redis_deadline_handler(ngx_event_t *ev);
static void ngx_http_callcenter_redis_ping_handler(ngx_event_t *ev);
static void ngx_http_callcenter_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_callcenter_redis_on_disconnect(
    const redisAsyncContext *ac, int status);
static ngx_int_t ngx_http_callcenter_redis_send(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, ngx_uint_t own, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_callcenter_redis_record_t **out);
static void ngx_http_callcenter_redis_sentinel_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_callcenter_redis_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_callcenter_redis_detach(void *data);
static ngx_uint_t ngx_http_callcenter_redis_answered(const char *fn);
static ngx_int_t ngx_http_callcenter_redis_fcall_record(
    ngx_http_request_t *r, ngx_http_callcenter_reply_pt handler,
    const char *fn, ngx_uint_t n, ngx_str_t *args,
    ngx_http_callcenter_redis_record_t **out);
static ngx_int_t ngx_http_callcenter_redis_confirmed(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen, ngx_http_callcenter_redis_record_t **out);
static void ngx_http_callcenter_redis_answer(
    ngx_http_callcenter_redis_record_t *rec, redisReply *reply);
static void ngx_http_callcenter_redis_unhold(
    ngx_http_callcenter_redis_record_t *rec);
static void ngx_http_callcenter_redis_waited(
    ngx_http_callcenter_redis_record_t *rec, redisReply *reply);
static redisReply *ngx_http_callcenter_redis_copy(redisReply *reply,
    ngx_uint_t depth);
static void ngx_http_callcenter_redis_free_reply(redisReply *reply);
static void ngx_http_callcenter_redis_sub_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_callcenter_redis_worker_init(
    ngx_http_callcenter_main_conf_t *mcf);


static ngx_http_callcenter_main_conf_t  *ngx_http_callcenter_redis_conf;

/* the worker's tag and channel (CC_KEY_NGINX_WORKER, the site's) */
ngx_str_t                                ngx_http_callcenter_redis_tag;
ngx_str_t                                ngx_http_callcenter_redis_worker;
static ngx_uint_t                        ngx_http_callcenter_redis_exiting;
static ngx_uint_t                        ngx_http_callcenter_redis_unconfirmed;

static ngx_http_callcenter_redis_link_t  ngx_http_callcenter_redis_cmd;
static ngx_http_callcenter_redis_link_t  ngx_http_callcenter_redis_sub;

static ngx_queue_t                       ngx_http_callcenter_redis_records;
static ngx_event_t                       ngx_http_callcenter_redis_deadline;
static ngx_event_t                       ngx_http_callcenter_redis_ping;


/* the hiredis event hooks: each context's socket is an nginx connection */

static void
ngx_http_callcenter_redis_read_handler(ngx_event_t *rev)
{
    ngx_connection_t                  *c;
    redisAsyncContext                 *ac;

    c = rev->data;
    ac = c->data;

    if (c->close) {
        /* worker_shutdown_timeout: let go of the link */
        ngx_http_callcenter_redis_free(ac->data);
        return;
    }

    redisAsyncHandleRead(ac);
}


static void
ngx_http_callcenter_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t  *c;

    c = wev->data;

    redisAsyncHandleWrite(c->data);
}


static void
ngx_http_callcenter_redis_event(ngx_event_t *ev, ngx_uint_t event,
    ngx_uint_t add)
{
    if (add && !ev->active) {
        if (ngx_add_event(ev, event, NGX_LEVEL_EVENT) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                          "callcenter: redis event not added");
        }

    } else if (!add && ev->active) {
        ngx_del_event(ev, event, 0);
    }
}


static void
ngx_http_callcenter_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_callcenter_redis_event(c->read, NGX_READ_EVENT, 1);
}


static void
ngx_http_callcenter_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_callcenter_redis_event(c->read, NGX_READ_EVENT, 0);
}


static void
ngx_http_callcenter_redis_add_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_callcenter_redis_event(c->write, NGX_WRITE_EVENT, 1);
}


static void
ngx_http_callcenter_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_callcenter_redis_event(c->write, NGX_WRITE_EVENT, 0);
}


static void
ngx_http_callcenter_redis_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    /* hiredis closes the socket itself right after this */

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;
    c->fd = (ngx_socket_t) -1;

    ngx_free_connection(c);
}


static ngx_int_t
ngx_http_callcenter_redis_attach(redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_connection_t  *c;

    if (ac->ev.data != NULL) {
        return NGX_ERROR;
    }

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->log = log;
    c->read->log = log;
    c->write->log = log;
    c->read->handler = ngx_http_callcenter_redis_read_handler;
    c->write->handler = ngx_http_callcenter_redis_write_handler;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_callcenter_redis_add_read;
    ac->ev.delRead = ngx_http_callcenter_redis_del_read;
    ac->ev.addWrite = ngx_http_callcenter_redis_add_write;
    ac->ev.delWrite = ngx_http_callcenter_redis_del_write;
    ac->ev.cleanup = ngx_http_callcenter_redis_cleanup;

    return NGX_OK;
}


/* the links */

ngx_int_t
ngx_http_callcenter_redis_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                         i;
    ngx_http_callcenter_main_conf_t   *mcf;
    ngx_http_callcenter_redis_link_t  *link;

    /* not the cache manager and loader */
    if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_http_callcenter_module);

    if (mcf == NULL || mcf->redis == NULL) {
        return NGX_OK;
    }

    ngx_http_callcenter_redis_conf = mcf;
    ngx_http_callcenter_redis_exiting = 0;

    if (ngx_http_callcenter_redis_worker_init(mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_queue_init(&ngx_http_callcenter_redis_records);

    ngx_http_callcenter_redis_deadline.handler =
                                    ngx_http_callcenter_redis_deadline_handler;
    ngx_http_callcenter_redis_deadline.log = cycle->log;
    ngx_http_callcenter_redis_deadline.data = &ngx_http_callcenter_redis_cmd;

    /*
     * Not cancelable: an exiting worker waits for the answers its requests
     * and agent streams' last commands still expect, redis_timeout at most.
     */
    ngx_http_callcenter_redis_deadline.cancelable = 0;

    ngx_http_callcenter_redis_ping.handler =
                                        ngx_http_callcenter_redis_ping_handler;
    ngx_http_callcenter_redis_ping.log = cycle->log;
    ngx_http_callcenter_redis_ping.cancelable = 1;

    ngx_http_callcenter_redis_cmd.name = "command";
    ngx_http_callcenter_redis_sub.name = "subscriber";
    ngx_http_callcenter_redis_sub.subscriber = 1;

    for (i = 0; i < 2; i++) {
        link = i ? &ngx_http_callcenter_redis_sub
                 : &ngx_http_callcenter_redis_cmd;

        link->ac = NULL;
        link->state = NGX_HTTP_CALLCENTER_REDIS_DOWN;
        link->backoff = CC_REDIS_BACKOFF_MIN;

        link->timer.handler = ngx_http_callcenter_redis_timer_handler;
        link->timer.log = cycle->log;
        link->timer.data = link;
        link->timer.cancelable = 1;

        link->drop.handler = ngx_http_callcenter_redis_drop_handler;
        link->drop.log = cycle->log;
        link->drop.data = link;

        cc_redis_handshake(&link->handshake, mcf->redis,
                           link->subscriber ? CC_REDIS_LINK_SUBSCRIBER
                                            : CC_REDIS_LINK_COMMANDS);

        if (mcf->redis->given & CC_REDIS_GIVEN_SENTINEL) {
            cc_redis_sentinel_init(&link->sentinel, mcf->redis);
        }

        if (ngx_http_callcenter_redis_connect(link) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_callcenter_redis_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                           i;
    ngx_queue_t                         *q;
    ngx_http_callcenter_redis_link_t    *link;
    ngx_http_callcenter_redis_record_t  *rec;

    if (ngx_http_callcenter_redis_conf == NULL) {
        return;
    }

    ngx_http_callcenter_redis_exiting = 1;

    /* nobody is answered any more: the requests' pools are not freed */

    for (q = ngx_queue_head(&ngx_http_callcenter_redis_records);
         q != ngx_queue_sentinel(&ngx_http_callcenter_redis_records);
         q = ngx_queue_next(q))
    {
        rec = ngx_queue_data(q, ngx_http_callcenter_redis_record_t, queue);

        /* a write held for its WAIT is out of the queue: through it */
        if (rec->write) {
            rec = rec->write;
        }

        if (rec->cleanup) {
            rec->cleanup->handler = NULL;
            rec->cleanup = NULL;
        }

        rec->request = NULL;
        rec->handler = NULL;
        rec->data_handler = NULL;
    }

    for (i = 0; i < 2; i++) {
        link = i ? &ngx_http_callcenter_redis_sub
                 : &ngx_http_callcenter_redis_cmd;

        ngx_http_callcenter_redis_free(link);

        if (link->timer.timer_set) {
            ngx_del_timer(&link->timer);
        }
    }

    if (ngx_http_callcenter_redis_deadline.timer_set) {
        ngx_del_timer(&ngx_http_callcenter_redis_deadline);
    }

    if (ngx_http_callcenter_redis_ping.timer_set) {
        ngx_del_timer(&ngx_http_callcenter_redis_ping);
    }

    ngx_http_callcenter_redis_conf = NULL;
}


static ngx_int_t
ngx_http_callcenter_redis_connect(ngx_http_callcenter_redis_link_t *link)
{
    ngx_msec_t                        timeout;
    ngx_log_t                        *log;
    redisAsyncContext                *ac;
    const cc_redis_endpoint_t        *e;
    ngx_http_callcenter_main_conf_t  *mcf;

    mcf = ngx_http_callcenter_redis_conf;
    log = ngx_cycle->log;
    timeout = mcf->redis_timeout;

    /*
     * Hosts are numeric (resolved at configuration, and a sentinel's
     * answer must be an IP address): no DNS here.  With Sentinel: the
     * sentinel first, the master it named next.
     */

    link->asking = (mcf->redis->given & CC_REDIS_GIVEN_SENTINEL)
                   && !link->found;

    if (link->asking) {
        e = cc_redis_sentinel_current(&link->sentinel);
        ac = redisAsyncConnect(e->host, e->port);
        timeout = ngx_min(timeout, NGX_HTTP_CALLCENTER_REDIS_ASK);

    } else if (link->found) {
        link->found = 0;
        ac = redisAsyncConnect(link->sentinel.master.host,
                               link->sentinel.master.port);

    } else if (link->moving) {
        /* once: lost again, the configured node redirects again */
        link->moving = 0;
        ac = redisAsyncConnect(link->moved.host, link->moved.port);

    } else if (mcf->redis->unix_path[0] != '\0') {
        ac = redisAsyncConnectUnix(mcf->redis->unix_path);

    } else {
        ac = redisAsyncConnect(mcf->redis->tcp.host, mcf->redis->tcp.port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "callcenter: redis context not allocated");
        return NGX_ERROR;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "callcenter: redis %s link: connect failed: %s",
                      link->name, ac->errstr);
        redisAsyncFree(ac);
        ngx_http_callcenter_redis_lost(link);
        return NGX_OK;
    }

    if (ngx_http_callcenter_redis_attach(ac, log) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "callcenter: redis %s link: no free connection",
                      link->name);
        redisAsyncFree(ac);
        ngx_http_callcenter_redis_lost(link);
        return NGX_OK;
    }

    ac->data = link;
    link->ac = ac;
    link->state = NGX_HTTP_CALLCENTER_REDIS_CONNECTING;

    /*
     * TCP keepalive finds half-dead links; on a unix socket it fails, and
     * hiredis would keep that failure as the context's error
     */
    if (mcf->redis->unix_path[0] == '\0') {
        (void) redisEnableKeepAlive(&ac->c);
    }

    redisAsyncSetDisconnectCallback(ac,
                                    ngx_http_callcenter_redis_on_disconnect);
    redisAsyncSetConnectCallback(ac, ngx_http_callcenter_redis_on_connect);

    ngx_add_timer(&link->timer, timeout);

    /*
     * A worker's first connect: the handshake is queued at once, so that
     * the requests a new worker takes (a reload) queue behind it instead
     * of answering 503; hiredis sends it all once connected, or answers
     * every command NULL (503) if the connect fails.  After a failure,
     * commands wait for the connect to be known: 503 at once meanwhile.
     * Not with Sentinel: nothing is known before the sentinel answers.
     */
    if (!link->failed && !(mcf->redis->given & CC_REDIS_GIVEN_SENTINEL)) {
        link->state = NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE;

        if (ngx_http_callcenter_redis_handshake(link) != NGX_OK) {
            link->state = NGX_HTTP_CALLCENTER_REDIS_CONNECTING;
            ngx_http_callcenter_redis_drop(link);
        }
    }

    return NGX_OK;
}


/* link->ac is gone or going: forget it, tell the streams, come back later */

static void
ngx_http_callcenter_redis_lost(ngx_http_callcenter_redis_link_t *link)
{
    ngx_msec_t  delay;
    ngx_uint_t  ready;

    ready = (link->state == NGX_HTTP_CALLCENTER_REDIS_READY);
    delay = link->backoff;

    /*
     * With Sentinel, short of a ready link: the master named is tried at
     * once, and a sentinel or master that failed makes way for the next
     * sentinel at once, but after a whole round.  A ready link lost: the
     * same sentinel, after the backoff.
     */
    if (!ready
        && (ngx_http_callcenter_redis_conf->redis->given
            & CC_REDIS_GIVEN_SENTINEL))
    {
        if (link->found || !cc_redis_sentinel_failed(&link->sentinel)) {
            delay = 0;
        }
    }

    link->ac = NULL;
    link->failed = 1;
    link->state = NGX_HTTP_CALLCENTER_REDIS_DOWN;

    ngx_http_callcenter_metrics_link(link->subscriber, 0);

    if (link->drop.posted) {
        ngx_delete_posted_event(&link->drop);
    }

    if (ngx_http_callcenter_redis_exiting) {
        return;
    }

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    ngx_add_timer(&link->timer, delay);

    if (delay != 0) {
        /* a failure round: wait longer next time */
        link->backoff = cc_redis_backoff_next(
                            ngx_http_callcenter_redis_conf->redis,
                            (unsigned) link->backoff);
    }

    if (link->subscriber) {
        if (ready) {
            ngx_http_callcenter_sse_subscriber_down();
        }

    } else if (ngx_http_callcenter_redis_ping.timer_set) {
        ngx_del_timer(&ngx_http_callcenter_redis_ping);
    }
}


/* frees link->ac now: never from inside a hiredis callback */

static void
ngx_http_callcenter_redis_free(ngx_http_callcenter_redis_link_t *link)
{
    redisAsyncContext  *ac;

    ac = link->ac;

    if (ac == NULL) {
        return;
    }

    ngx_http_callcenter_redis_lost(link);

    /* every outstanding callback runs now, with NULL */
    redisAsyncFree(ac);
}


/* from inside a hiredis callback: free the context once it has returned */

static void
ngx_http_callcenter_redis_drop(ngx_http_callcenter_redis_link_t *link)
{
    if (link->ac != NULL && !link->drop.posted) {
        ngx_post_event(&link->drop, &ngx_posted_events);
    }
}


static void
ngx_http_callcenter_redis_drop_handler(ngx_event_t *ev)
{
    ngx_http_callcenter_redis_free(ev->data);
}


static void
ngx_http_callcenter_redis_timer_handler(ngx_event_t *ev)
{
    ngx_http_callcenter_redis_link_t  *link = ev->data;

    if (link->state == NGX_HTTP_CALLCENTER_REDIS_DOWN) {
        if (ngx_exiting || ngx_terminate) {
            return;
        }

        if (ngx_http_callcenter_redis_connect(link) != NGX_OK) {
            ngx_http_callcenter_redis_lost(link);
        }

        return;
    }

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "callcenter: redis %s link: %s timed out", link->name,
                  link->asking ? "sentinel" : "connect");

    ngx_http_callcenter_redis_free(link);
}


static void
ngx_http_callcenter_redis_ready(ngx_http_callcenter_redis_link_t *link)
{
    link->state = NGX_HTTP_CALLCENTER_REDIS_READY;
    link->backoff = CC_REDIS_BACKOFF_MIN;

    ngx_http_callcenter_metrics_link(link->subscriber, 1);

    if (link->timer.timer_set) {
        ngx_del_timer(&link->timer);
    }

    if (ngx_http_callcenter_redis_conf->redis->given
        & CC_REDIS_GIVEN_SENTINEL)
    {
        cc_redis_sentinel_found(&link->sentinel);

        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "callcenter: redis %s link: master \"%s\" is %s:%d",
                      link->name, ngx_http_callcenter_redis_conf->redis->master,
                      link->sentinel.master.host, link->sentinel.master.port);
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "callcenter: redis %s link ready", link->name);

    if (link->subscriber) {
        if (redisAsyncCommand(link->ac, ngx_http_callcenter_redis_sub_reply,
                              NULL, "SUBSCRIBE %s %b", CC_CHANNEL_ANCHOR,
                              ngx_http_callcenter_redis_worker.data,
                              ngx_http_callcenter_redis_worker.len)
            != REDIS_OK)
        {
            ngx_http_callcenter_redis_drop(link);
            return;
        }

        ngx_http_callcenter_sse_subscriber_up();
        return;
    }

    ngx_add_timer(&ngx_http_callcenter_redis_ping,
                  NGX_HTTP_CALLCENTER_REDIS_PING);

    ngx_http_callcenter_sse_commands_up();
}


/*
 * The handshake of common/cc_redis_handshake.c, pipelined: each step must
 * succeed, the link is ready with the last answer.
 */

static void
ngx_http_callcenter_redis_handshake_reply(
    ngx_http_callcenter_redis_link_t *link, redisReply *reply)
{
    redisReply       *first;
    cc_redis_step_t  *step;

    if (link->state != NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE || reply == NULL
        || link->answered >= (ngx_uint_t) link->handshake.n)
    {
        return;
    }

    step = &link->handshake.step[link->answered++];

    /* ROLE answers an array, its first element the role */
    first = (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
             && reply->element[0]->type == REDIS_REPLY_STRING)
            ? reply->element[0] : reply;

    if (!cc_redis_handshake_ok(step, reply->type == REDIS_REPLY_ERROR,
                               first->str, first->len))
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: redis %s link: handshake: %s: %s",
                      link->name, step->what,
                      first->str ? first->str : "not a master");
        link->state = NGX_HTTP_CALLCENTER_REDIS_CONNECTING;
        ngx_http_callcenter_redis_drop(link);
        return;
    }

    if (link->answered == (ngx_uint_t) link->handshake.n) {
        ngx_http_callcenter_redis_ready(link);
    }
}


static void
ngx_http_callcenter_redis_cmd_handshake_reply(ngx_http_request_t *r,
    redisReply *reply)
{
    ngx_http_callcenter_redis_handshake_reply(&ngx_http_callcenter_redis_cmd,
                                              reply);
}


static void
ngx_http_callcenter_redis_sub_handshake_reply(redisAsyncContext *ac,
    void *reply, void *privdata)
{
    if (ac == ngx_http_callcenter_redis_sub.ac) {
        ngx_http_callcenter_redis_handshake_reply(
                                     &ngx_http_callcenter_redis_sub, reply);
    }
}


static void
ngx_http_callcenter_redis_on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext                 *ac;
    ngx_http_callcenter_redis_link_t  *link;

    ac = (redisAsyncContext *) cac;
    link = ac->data;

    if (link->ac != ac) {
        return;
    }

    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: redis %s link: connect failed: %s",
                      link->name, ac->errstr);
        ngx_http_callcenter_redis_lost(link);
        return;
    }

    if (link->state == NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE) {
        return;                           /* sent before the connect */
    }

    if (link->asking) {
        if (redisAsyncCommandArgv(ac,
                                  ngx_http_callcenter_redis_sentinel_reply,
                                  NULL, link->sentinel.ask.argc,
                                  link->sentinel.ask.argv,
                                  link->sentinel.ask.argvlen)
            != REDIS_OK)
        {
            ngx_http_callcenter_redis_drop(link);
        }

        return;
    }

    link->state = NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE;

    if (ngx_http_callcenter_redis_handshake(link) != NGX_OK) {
        link->state = NGX_HTTP_CALLCENTER_REDIS_CONNECTING;
        ngx_http_callcenter_redis_drop(link);
    }
}


/* the sentinel's answer: its master is tried next, else the next sentinel */

static void
ngx_http_callcenter_redis_sentinel_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    const char                        *why;
    redisReply                        *reply, *host, *port;
    const cc_redis_endpoint_t         *e;
    ngx_http_callcenter_redis_link_t  *link;

    reply = r;
    link = ac->data;

    if (reply == NULL || link->ac != ac) {
        return;                           /* going: the loss is seen */
    }

    host = NULL;
    port = NULL;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        host = reply->element[0];
        port = reply->element[1];
        host = host->type == REDIS_REPLY_STRING ? host : NULL;
        port = port->type == REDIS_REPLY_STRING ? port : NULL;
    }

    why = cc_redis_sentinel_reply(&link->sentinel,
                     reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0,
                     host ? host->str : NULL, host ? host->len : 0,
                     port ? port->str : NULL, port ? port->len : 0);

    e = cc_redis_sentinel_current(&link->sentinel);

    if (why != NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: redis %s link: sentinel %s:%d: %s",
                      link->name, e->host, e->port,
                      reply->type == REDIS_REPLY_ERROR ? reply->str : why);

    } else {
        link->found = 1;
    }

    ngx_http_callcenter_redis_drop(link);
}


/* sends the handshake's steps; with none, the link is ready */

static ngx_int_t
ngx_http_callcenter_redis_handshake(ngx_http_callcenter_redis_link_t *link)
{
    int               i, rc;
    cc_redis_step_t  *step;

    link->answered = 0;

    if (link->handshake.n == 0) {
        ngx_http_callcenter_redis_ready(link);
        return NGX_OK;
    }

    for (i = 0; i < link->handshake.n; i++) {
        step = &link->handshake.step[i];

        if (link->subscriber) {
            rc = redisAsyncCommandArgv(link->ac,
                                 ngx_http_callcenter_redis_sub_handshake_reply,
                                 NULL, step->argc, step->argv, step->argvlen)
                 == REDIS_OK ? NGX_OK : NGX_ERROR;

        } else {
            rc = ngx_http_callcenter_redis_send(NULL,
                                 ngx_http_callcenter_redis_cmd_handshake_reply,
                                 1, step->argc, step->argv, step->argvlen,
                                 NULL);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_callcenter_redis_gone(ngx_http_callcenter_redis_link_t *link,
    const redisAsyncContext *ac)
{
    if (link->ac != ac) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "callcenter: redis %s link lost: %s", link->name,
                  ac->err ? ac->errstr : "closed");

    ngx_http_callcenter_redis_lost(link);
}


static void
ngx_http_callcenter_redis_on_disconnect(const redisAsyncContext *ac,
    int status)
{
    ngx_http_callcenter_redis_gone(ac->data, ac);
}


/* commands */

ngx_uint_t
ngx_http_callcenter_redis_connected(void)
{
    /*
     * A command sent during the handshake waits behind it; not with
     * Sentinel, where the handshake's ROLE may yet say it is a replica.
     */
    return ngx_http_callcenter_redis_conf != NULL
           && (ngx_http_callcenter_redis_cmd.state
               == NGX_HTTP_CALLCENTER_REDIS_READY
               || (ngx_http_callcenter_redis_cmd.state
                   == NGX_HTTP_CALLCENTER_REDIS_HANDSHAKE
                   && !(ngx_http_callcenter_redis_conf->redis->given
                        & CC_REDIS_GIVEN_SENTINEL)));
}


ngx_int_t
ngx_http_callcenter_redis_fcall(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, const char *fn, ngx_uint_t n,
    ngx_str_t *args)
{
    return ngx_http_callcenter_redis_fcall_record(r, handler, fn, n, args,
                                                  NULL);
}


ngx_int_t
ngx_http_callcenter_redis_fcall_own(ngx_http_callcenter_data_reply_pt handler,
    void *data, const char *fn, ngx_uint_t n, ngx_str_t *args)
{
    ngx_int_t                            rc;
    ngx_http_callcenter_redis_record_t  *rec;

    rc = ngx_http_callcenter_redis_fcall_record(NULL, NULL, fn, n, args,
                                                &rec);
    if (rc == NGX_OK) {
        rec->data_handler = handler;
        rec->data = data;
    }

    return rc;
}


static ngx_int_t
ngx_http_callcenter_redis_fcall_record(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, const char *fn, ngx_uint_t n,
    ngx_str_t *args, ngx_http_callcenter_redis_record_t **out)
{
    u_char      *p;
    size_t       len, *lens, argvlen[4 + NGX_HTTP_CALLCENTER_FCALL_ARGS];
    ngx_int_t    rc;
    ngx_uint_t   i;
    const char **vals, *argv[4 + NGX_HTTP_CALLCENTER_FCALL_ARGS];
    u_char       name[CC_FN_MAX];

    if (!ngx_http_callcenter_redis_connected()) {
        return NGX_DECLINED;
    }

    len = ngx_strlen(fn);

    if (len + sizeof("_" CC_FUNCTIONS_VERSION) > CC_FN_MAX) {
        return NGX_ERROR;
    }

    vals = argv;
    lens = argvlen;

    if (n > NGX_HTTP_CALLCENTER_FCALL_ARGS) {
        /* a batch: hiredis copies the arguments, these go at once */
        vals = ngx_alloc((4 + n) * (sizeof(char *) + sizeof(size_t)),
                         ngx_cycle->log);
        if (vals == NULL) {
            return NGX_ERROR;
        }

        lens = (size_t *) (vals + 4 + n);
    }

    /* this build's version of the function: CC_FN(fn) */
    p = ngx_cpymem(name, fn, len);
    p = ngx_cpymem(p, "_" CC_FUNCTIONS_VERSION,
                   sizeof("_" CC_FUNCTIONS_VERSION) - 1);

    vals[0] = "FCALL";
    lens[0] = sizeof("FCALL") - 1;
    vals[1] = (const char *) name;
    lens[1] = p - name;
    /* one key, the site's anchor: it names the site's Cluster slot, the
     * library names the others from it (cc_keys.h) */
    vals[2] = "1";
    lens[2] = 1;
    vals[3] = (const char *) ngx_http_callcenter_redis_conf->site_key.data;
    lens[3] = ngx_http_callcenter_redis_conf->site_key.len;

    for (i = 0; i < n; i++) {
        vals[4 + i] = (const char *) args[i].data;
        lens[4 + i] = args[i].len;
    }

    if (ngx_http_callcenter_redis_conf != NULL
        && ngx_http_callcenter_redis_conf->redis->replicas
        && ngx_http_callcenter_redis_answered(fn))
    {
        rc = ngx_http_callcenter_redis_confirmed(r, handler, 4 + n, vals,
                                                 lens, out);

    } else {
        rc = ngx_http_callcenter_redis_send(r, handler, r == NULL, 4 + n,
                                            vals, lens, out);
    }

    if (vals != argv) {
        ngx_free(vals);
    }

    return rc;
}


/* the writes whose 201 or 202 promises they are kept (replicas=) */

static ngx_uint_t
ngx_http_callcenter_redis_answered(const char *fn)
{
    ngx_uint_t          i;
    static const char  *writes[] = {
        "cc_call_create", "cc_calls_create", "cc_caller_message",
        "cc_agent_message"
    };

    for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        if (ngx_strcmp(fn, writes[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The write, then WAIT replicas timeout on the same link (WAIT counts the
 * replicas that hold this connection's writes): the write's answer is
 * held, a copy, until WAIT's, and goes to the handler only if enough
 * replicas confirmed; else the handler gets NULL (503).
 */

static ngx_int_t
ngx_http_callcenter_redis_confirmed(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen, ngx_http_callcenter_redis_record_t **out)
{
    u_char                              *p;
    ngx_int_t                            rc;
    const char                          *wargv[3];
    size_t                               wargvlen[3];
    ngx_http_callcenter_redis_record_t  *rec, *wait;
    u_char                               replicas[NGX_INT_T_LEN];
    u_char                               timeout[NGX_INT_T_LEN];

    if (!ngx_http_callcenter_redis_connected()) {
        return NGX_DECLINED;
    }

    rc = ngx_http_callcenter_redis_send(r, handler, r == NULL, argc, argv,
                                        argvlen, &rec);
    if (rc != NGX_OK) {
        return rc;
    }

    rec->confirm = 1;

    if (out) {
        *out = rec;
    }

    p = ngx_sprintf(replicas, "%d",
                    ngx_http_callcenter_redis_conf->redis->replicas);
    wargv[0] = "WAIT";
    wargvlen[0] = 4;
    wargv[1] = (const char *) replicas;
    wargvlen[1] = p - replicas;
    /* replicas missing: fail fast until one WAIT succeeds again, rather
     * than hold the link callcenter_redis_wait for each write */
    p = ngx_sprintf(timeout, "%M",
                    ngx_http_callcenter_redis_unconfirmed
                    ? ngx_min(ngx_http_callcenter_redis_conf->redis_wait,
                              NGX_HTTP_CALLCENTER_REDIS_WAIT_FAST)
                    : ngx_http_callcenter_redis_conf->redis_wait);
    wargv[2] = (const char *) timeout;
    wargvlen[2] = p - timeout;

    /* no WAIT (no memory): nothing will confirm the write, its answer
     * is 503 */
    if (ngx_http_callcenter_redis_send(NULL, NULL, 1, 3, wargv, wargvlen,
                                       &wait)
        == NGX_OK)
    {
        wait->write = rec;

    } else {
        rec->confirm = 0;
        rec->unwaited = 1;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_callcenter_redis_command(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    if (!ngx_http_callcenter_redis_connected()) {
        return NGX_DECLINED;
    }

    return ngx_http_callcenter_redis_send(r, handler, r == NULL, argc, argv,
                                          argvlen, NULL);
}


static ngx_int_t
ngx_http_callcenter_redis_send(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, ngx_uint_t own, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_callcenter_redis_record_t **out)
{
    ngx_pool_cleanup_t                  *cln;
    ngx_http_callcenter_redis_record_t  *rec;

    rec = ngx_alloc(sizeof(ngx_http_callcenter_redis_record_t),
                    ngx_cycle->log);
    if (rec == NULL) {
        return NGX_ERROR;
    }

    rec->request = r;
    rec->handler = handler;
    rec->data_handler = NULL;
    rec->data = NULL;
    rec->cleanup = NULL;
    rec->sent = ngx_current_msec;
    rec->held = NULL;
    rec->write = NULL;
    rec->own = own;
    rec->confirm = 0;
    rec->unwaited = 0;

    if (r) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            ngx_free(rec);
            return NGX_ERROR;
        }

        cln->handler = ngx_http_callcenter_redis_detach;
        cln->data = rec;
        rec->cleanup = cln;
    }

    if (redisAsyncCommandArgv(ngx_http_callcenter_redis_cmd.ac,
                              ngx_http_callcenter_redis_reply, rec,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        if (rec->cleanup) {
            rec->cleanup->handler = NULL;
        }

        ngx_free(rec);
        return NGX_DECLINED;
    }

    ngx_queue_insert_tail(&ngx_http_callcenter_redis_records, &rec->queue);

    if (out) {
        *out = rec;
    }

    if (!ngx_http_callcenter_redis_deadline.timer_set) {
        ngx_add_timer(&ngx_http_callcenter_redis_deadline,
                      ngx_http_callcenter_redis_conf->redis_timeout);
    }

    return NGX_OK;
}


/* the request went away first: its record lives on without it */

static void
ngx_http_callcenter_redis_detach(void *data)
{
    ngx_http_callcenter_redis_record_t  *rec = data;

    rec->request = NULL;
    rec->cleanup = NULL;
}


static void
ngx_http_callcenter_redis_deadline_set(void)
{
    ngx_msec_t                           age, timeout;
    ngx_queue_t                         *q;
    ngx_http_callcenter_redis_record_t  *rec;

    if (ngx_queue_empty(&ngx_http_callcenter_redis_records)) {
        if (ngx_http_callcenter_redis_deadline.timer_set) {
            ngx_del_timer(&ngx_http_callcenter_redis_deadline);
        }

        return;
    }

    q = ngx_queue_head(&ngx_http_callcenter_redis_records);
    rec = ngx_queue_data(q, ngx_http_callcenter_redis_record_t, queue);

    age = ngx_current_msec - rec->sent;
    timeout = ngx_http_callcenter_redis_conf->redis_timeout;

    ngx_add_timer(&ngx_http_callcenter_redis_deadline,
                  age < timeout ? timeout - age : 1);
}


static void
ngx_http_callcenter_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply                          *reply = r;
    ngx_http_callcenter_redis_record_t  *rec = privdata;

    ngx_queue_remove(&rec->queue);

    if (reply == NULL) {
        /* the context is being freed: nothing goes to it any more */
        ngx_http_callcenter_redis_gone(&ngx_http_callcenter_redis_cmd, ac);

    } else if (reply->type == REDIS_REPLY_ERROR
               && cc_redis_reply_relink(reply->str, reply->len))
    {
        /* not (or no longer) the master: look for it again (once); 503 */
        if (ac == ngx_http_callcenter_redis_cmd.ac
            && ngx_http_callcenter_redis_cmd.state
               != NGX_HTTP_CALLCENTER_REDIS_CONNECTING)
        {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "callcenter: redis command link: %s, reconnecting",
                          reply->str);
            ngx_http_callcenter_redis_cmd.state =
                                          NGX_HTTP_CALLCENTER_REDIS_CONNECTING;
            ngx_http_callcenter_redis_drop(&ngx_http_callcenter_redis_cmd);
        }

        reply = NULL;

    } else if (reply->type == REDIS_REPLY_ERROR
               && ac == ngx_http_callcenter_redis_cmd.ac
               && !(ngx_http_callcenter_redis_conf->redis->given
                    & CC_REDIS_GIVEN_SENTINEL)
               && cc_redis_reply_moved(reply->str, reply->len,
                                       &ngx_http_callcenter_redis_cmd.moved)
                  == CC_REDIS_MOVED)
    {
        /*
         * Redis Cluster: the site's slot is on another node: the link goes
         * there (every command of the site with it); this one gets 503
         */
        if (ngx_http_callcenter_redis_cmd.state
            != NGX_HTTP_CALLCENTER_REDIS_CONNECTING)
        {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "callcenter: redis command link: %s, "
                          "reconnecting there", reply->str);
            ngx_http_callcenter_redis_cmd.moving = 1;
            ngx_http_callcenter_redis_cmd.state =
                                          NGX_HTTP_CALLCENTER_REDIS_CONNECTING;
            ngx_http_callcenter_redis_drop(&ngx_http_callcenter_redis_cmd);
        }

        reply = NULL;
    }

    if (!ngx_http_callcenter_redis_exiting) {
        ngx_http_callcenter_redis_deadline_set();
    }

    if (rec->write) {
        ngx_http_callcenter_redis_waited(rec->write, reply);
        ngx_free(rec);
        return;
    }

    if (rec->unwaited) {
        reply = NULL;

    } else if (rec->confirm && reply != NULL
               && reply->type != REDIS_REPLY_ERROR)
    {
        /* kept for WAIT's answer; without a copy: unconfirmed, 503 */
        rec->held = ngx_http_callcenter_redis_copy(reply, 0);
        if (rec->held != NULL) {
            return;
        }

        reply = NULL;

    } else if (rec->confirm) {
        /* answered without WAIT's: its record has to forget this one */
        ngx_http_callcenter_redis_unhold(rec);
    }

    ngx_http_callcenter_redis_answer(rec, reply);
}


static void
ngx_http_callcenter_redis_answer(ngx_http_callcenter_redis_record_t *rec,
    redisReply *reply)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    if (rec->cleanup) {
        rec->cleanup->handler = NULL;
    }

    r = rec->request;

    if (r) {
        c = r->connection;
        rec->handler(r, reply);
        ngx_http_run_posted_requests(c);

    } else if (rec->own && rec->data_handler) {
        rec->data_handler(rec->data, reply);

    } else if (rec->own && rec->handler) {
        rec->handler(NULL, reply);
    }

    ngx_http_callcenter_redis_free_reply(rec->held);
    ngx_free(rec);
}


/* the WAIT record that follows rec, still outstanding: it confirms none */

static void
ngx_http_callcenter_redis_unhold(ngx_http_callcenter_redis_record_t *rec)
{
    ngx_queue_t                         *q;
    ngx_http_callcenter_redis_record_t  *wait;

    for (q = ngx_queue_head(&ngx_http_callcenter_redis_records);
         q != ngx_queue_sentinel(&ngx_http_callcenter_redis_records);
         q = ngx_queue_next(q))
    {
        wait = ngx_queue_data(q, ngx_http_callcenter_redis_record_t, queue);

        if (wait->write == rec) {
            wait->write = NULL;
            return;
        }
    }
}


/* WAIT's answer to a held write */

static void
ngx_http_callcenter_redis_waited(ngx_http_callcenter_redis_record_t *rec,
    redisReply *reply)
{
    ngx_int_t  replicas;

    replicas = ngx_http_callcenter_redis_conf
               ? ngx_http_callcenter_redis_conf->redis->replicas : 0;

    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER
        && reply->integer >= replicas)
    {
        if (ngx_http_callcenter_redis_unconfirmed) {
            ngx_http_callcenter_redis_unconfirmed = 0;
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "callcenter: redis writes confirmed by %i "
                          "replicas again", replicas);
        }

        ngx_http_callcenter_redis_answer(rec, rec->held);
        return;
    }

    /* logged once until confirmed again: every write would say it */
    if (reply != NULL && !ngx_http_callcenter_redis_unconfirmed) {
        ngx_http_callcenter_redis_unconfirmed = 1;
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "callcenter: redis WAIT: %s %i of %i replicas "
                      "confirmed a write, answering 503",
                      reply->type == REDIS_REPLY_INTEGER ? "only" : "not",
                      reply->type == REDIS_REPLY_INTEGER
                      ? (ngx_int_t) reply->integer : 0, replicas);
    }

    ngx_http_callcenter_redis_answer(rec, NULL);
}


/* a deep copy of a reply, with its own ngx_alloc()s; NULL: no memory */

static redisReply *
ngx_http_callcenter_redis_copy(redisReply *reply, ngx_uint_t depth)
{
    size_t       i;
    redisReply  *copy;

    if (depth > 4) {
        return NULL;
    }

    copy = ngx_calloc(sizeof(redisReply), ngx_cycle->log);
    if (copy == NULL) {
        return NULL;
    }

    copy->type = reply->type;
    copy->integer = reply->integer;

    if (reply->str != NULL) {
        copy->str = ngx_alloc(reply->len + 1, ngx_cycle->log);
        if (copy->str == NULL) {
            ngx_free(copy);
            return NULL;
        }

        ngx_memcpy(copy->str, reply->str, reply->len);
        copy->str[reply->len] = '\0';
        copy->len = reply->len;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        return copy;
    }

    copy->element = ngx_calloc(reply->elements * sizeof(redisReply *),
                               ngx_cycle->log);
    if (copy->element == NULL) {
        ngx_http_callcenter_redis_free_reply(copy);
        return NULL;
    }

    copy->elements = reply->elements;

    for (i = 0; i < reply->elements; i++) {
        copy->element[i] = ngx_http_callcenter_redis_copy(reply->element[i],
                                                          depth + 1);
        if (copy->element[i] == NULL) {
            ngx_http_callcenter_redis_free_reply(copy);
            return NULL;
        }
    }

    return copy;
}


static void
ngx_http_callcenter_redis_free_reply(redisReply *reply)
{
    size_t  i;

    if (reply == NULL) {
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        ngx_http_callcenter_redis_free_reply(reply->element[i]);
    }

    ngx_free(reply->element);
    ngx_free(reply->str);
    ngx_free(reply);
}


static void
ngx_http_callcenter_redis_deadline_handler(ngx_event_t *ev)
{
    ngx_msec_t                           age;
    ngx_queue_t                         *q;
    ngx_http_callcenter_redis_record_t  *rec;

    if (ngx_queue_empty(&ngx_http_callcenter_redis_records)) {
        return;
    }

    q = ngx_queue_head(&ngx_http_callcenter_redis_records);
    rec = ngx_queue_data(q, ngx_http_callcenter_redis_record_t, queue);
    age = ngx_current_msec - rec->sent;

    if (age < ngx_http_callcenter_redis_conf->redis_timeout) {
        ngx_http_callcenter_redis_deadline_set();
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "callcenter: redis did not answer in %M ms, reconnecting",
                  age);

    /* a link that does not answer commands: the server or the path to it
     * is gone for the subscriber link too */
    ngx_http_callcenter_redis_free(&ngx_http_callcenter_redis_cmd);
    ngx_http_callcenter_redis_free(&ngx_http_callcenter_redis_sub);
}


static void
ngx_http_callcenter_redis_ping_handler(ngx_event_t *ev)
{
    static const char    *argv[] = { "PING" };
    static const size_t   argvlen[] = { 4 };

    if (!ngx_http_callcenter_redis_connected()) {
        return;
    }

    if (ngx_queue_empty(&ngx_http_callcenter_redis_records)) {
        (void) ngx_http_callcenter_redis_send(NULL, NULL, 1, 1, argv,
                                              argvlen, NULL);
    }

    ngx_add_timer(ev, NGX_HTTP_CALLCENTER_REDIS_PING);
}


/* the subscriber link */

/*
 * A tag of 48 random bits names the worker for its life: its caller
 * streams' connections are "TAG.N" and its channel "cc:nginx:TAG" (the
 * site's: "cc:{SITE}:nginx:TAG"), subscribed with the anchor.
 */

static ngx_int_t
ngx_http_callcenter_redis_worker_init(ngx_http_callcenter_main_conf_t *mcf)
{
    u_char            bytes[6], *p;
    ngx_str_t         src;
    static u_char     tag[sizeof("12345678")];
    static u_char     name[CC_SITE_KEY_MAX + sizeof(CC_KEY_NGINX_WORKER)
                           + sizeof(tag)];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes)) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "callcenter: getrandom() failed");
        return NGX_ERROR;
    }

    src.data = bytes;
    src.len = sizeof(bytes);
    ngx_http_callcenter_redis_tag.data = tag;
    ngx_encode_base64url(&ngx_http_callcenter_redis_tag, &src);

    /* CC_KEY_NGINX_WORKER: "cc:nginx:%s"; site_key "cc:" or "cc:{SITE}" */
    p = mcf->site_key.len > 3 ? ngx_sprintf(name, "%V:", &mcf->site_key)
                              : ngx_cpymem(name, "cc:", 3);
    p = ngx_cpymem(p, CC_KEY_NGINX_WORKER + 3,
                   sizeof(CC_KEY_NGINX_WORKER) - 1 - 3 - 2);
    p = ngx_cpymem(p, tag, ngx_http_callcenter_redis_tag.len);

    ngx_http_callcenter_redis_worker.data = name;
    ngx_http_callcenter_redis_worker.len = p - name;

    return NGX_OK;
}


ngx_int_t
ngx_http_callcenter_redis_subscribe(ngx_str_t *channel, ngx_uint_t on)
{
    size_t                             argvlen[2];
    const char                        *argv[2];
    ngx_http_callcenter_redis_link_t  *link = &ngx_http_callcenter_redis_sub;

    if (ngx_http_callcenter_redis_conf == NULL
        || link->state != NGX_HTTP_CALLCENTER_REDIS_READY)
    {
        return NGX_DECLINED;
    }

    argv[0] = on ? "SUBSCRIBE" : "UNSUBSCRIBE";
    argvlen[0] = on ? 9 : 11;
    argv[1] = (char *) channel->data;
    argvlen[1] = channel->len;

    if (redisAsyncCommandArgv(link->ac, ngx_http_callcenter_redis_sub_reply,
                              NULL, 2, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_callcenter_redis_sub_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    ngx_str_t    channel, payload;
    redisReply  *reply = r;

    if (reply == NULL || ac != ngx_http_callcenter_redis_sub.ac
        || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    channel.data = (u_char *) reply->element[1]->str;
    channel.len = reply->element[1]->len;

    if (channel.len == ngx_http_callcenter_redis_worker.len
        && ngx_strncmp(channel.data, ngx_http_callcenter_redis_worker.data,
                       channel.len)
           == 0
        && ngx_strcmp(reply->element[0]->str, "message") == 0)
    {
        /* "KEY MESSAGE": a message of the stream KEY's channel */

        if (reply->element[2]->type != REDIS_REPLY_STRING) {
            return;
        }

        channel.data = (u_char *) reply->element[2]->str;
        payload.data = ngx_strlchr(channel.data,
                                   channel.data + reply->element[2]->len,
                                   ' ');
        if (payload.data == NULL) {
            return;
        }

        channel.len = payload.data - channel.data;
        payload.data++;
        payload.len = reply->element[2]->len - channel.len - 1;

        ngx_http_callcenter_sse_message(&channel, &payload);
        return;
    }

    if (channel.len == sizeof(CC_CHANNEL_ANCHOR) - 1
        && ngx_strncmp(channel.data, CC_CHANNEL_ANCHOR,
                       channel.len)
           == 0)
    {
        return;
    }

    if (ngx_strcmp(reply->element[0]->str, "message") == 0) {
        if (reply->element[2]->type != REDIS_REPLY_STRING) {
            return;
        }

        payload.data = (u_char *) reply->element[2]->str;
        payload.len = reply->element[2]->len;

        ngx_http_callcenter_sse_message(&channel, &payload);

    } else if (ngx_strcmp(reply->element[0]->str, "subscribe") == 0) {
        ngx_http_callcenter_sse_subscribed(&channel, 1);

    } else if (ngx_strcmp(reply->element[0]->str, "unsubscribe") == 0) {
        ngx_http_callcenter_sse_subscribed(&channel, 0);
    }
}
