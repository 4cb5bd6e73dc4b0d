
/*
 * callcenter: event streams.  Per worker a table channel -> local streams;
 * the first stream of a channel subscribes, the last one unsubscribes.  A
 * stream catches up with XRANGE once its channel is subscribed, a page at a
 * time, each page once the output before it drained below half the stream
 * buffer; then it writes the published events whose id is above the last
 * one it wrote.  A local channel is the module's own (the status streams):
 * no Redis, its streams live at once.  A second table counts the streams of
 * each client address.
 *
 * An HTTP/1.x stream outlives its request: once the response head and the
 * first events are sent, the request is logged and freed (its pool, the
 * header buffers) and the stream goes on with the connection alone, as
 * ngx_http_set_keepalive() shrinks an idle connection; its output is one
 * buffer, chunked here, held only while unsent.  Other streams (HTTP/2, a
 * content encoding, a client that does not read its head) stay attached
 * and write through the request's filters.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_callcenter.h"
#include "cc_sse.h"


/* channel states */
#define NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED   0
#define NGX_HTTP_CALLCENTER_SSE_SUBSCRIBING    1
#define NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED     2
#define NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBING  3
#define NGX_HTTP_CALLCENTER_SSE_LOCAL          4   /* fed by the module, not
                                                    * Redis; kept till exit */

/* stream phases */
#define NGX_HTTP_CALLCENTER_SSE_WAIT     0   /* for the subscription */
#define NGX_HTTP_CALLCENTER_SSE_CATCHUP  1
#define NGX_HTTP_CALLCENTER_SSE_LIVE     2

#define NGX_HTTP_CALLCENTER_SSE_PAGE     200     /* most XRANGE COUNT */
#define NGX_HTTP_CALLCENTER_SSE_ENTRY    4096    /* an entry's bytes beyond
                                                  * its body: fields the
                                                  * module adds, framing */
#define NGX_HTTP_CALLCENTER_SSE_BUF      4096    /* output buffers */
/* a chunk's framing, and room for the last chunk */
#define NGX_HTTP_CALLCENTER_SSE_CHUNK                                         \
    (sizeof("ffffffffffffffff" CRLF CRLF "0" CRLF CRLF) - 1)
#define NGX_HTTP_CALLCENTER_SSE_LAST     "0" CRLF CRLF

#define NGX_HTTP_CALLCENTER_SSE_HELLO    "retry: 3000\n\n"
#define NGX_HTTP_CALLCENTER_SSE_BYE      "retry: 1000\n\n"
#define NGX_HTTP_CALLCENTER_SSE_PING     ": ping\n\n"

#define NGX_HTTP_CALLCENTER_SSE_LIBRARIES  1000  /* ms between looks */


typedef struct {
    ngx_str_node_t                      sn;       /* sn.str: the channel */
    ngx_queue_t                         streams;
    ngx_uint_t                          state;
    unsigned                            caller:1;
    unsigned                            worker:1; /* carried by the
                                                   * worker's channel: no
                                                   * subscription of its
                                                   * own */
} ngx_http_callcenter_sse_channel_t;


typedef struct {
    ngx_str_node_t                      sn;       /* sn.str: the address */
    ngx_uint_t                          streams;
} ngx_http_callcenter_sse_address_t;


typedef struct ngx_http_callcenter_sse_stream_s
    ngx_http_callcenter_sse_stream_t;

struct ngx_http_callcenter_sse_stream_s {
    ngx_http_request_t                 *request;  /* NULL: detached */
    ngx_connection_t                   *connection;
    ngx_http_callcenter_loc_conf_t     *conf;
    ngx_http_core_loc_conf_t           *core;

    ngx_http_callcenter_sse_channel_t  *channel;  /* NULL: unlinked */
    ngx_str_t                           name;     /* the channel */
    ngx_queue_t                         queue;    /* in channel->streams */
    ngx_queue_t                         range;    /* in the XRANGEs sent,
                                                   * while pending */
    cc_sse_id_t                         last;     /* last id written */

    ngx_uint_t                          phase;
    ngx_uint_t                          page;     /* XRANGE COUNT */
    size_t                              room;     /* the entry that did not
                                                   * fit: wait for room */
    unsigned                            pending:1;  /* XRANGE sent */
    unsigned                            dirty:1;    /* published meanwhile */
    unsigned                            drain:1;    /* catch-up waits for
                                                     * its output to drain
                                                     * below the low-water
                                                     * mark */
    unsigned                            detachable:1;
    unsigned                            ending:1;   /* end posted */
    unsigned                            closing:1;  /* detached: close once
                                                     * sent */
    unsigned                            chunked:1;  /* detached: frame */
    unsigned                            gone:1;     /* freed by the XRANGE
                                                     * reply */

    ngx_event_t                         heartbeat;
    ngx_event_t                         end;        /* posted: finalize or
                                                     * detach */
    ngx_int_t                           end_rc;

    ngx_uint_t                          party;
    ngx_uint_t                          local;    /* scf->local */
    ngx_http_callcenter_presence_t      presence; /* an agent's or caller's
                                                   * connection */

    /* attached: through the request's filters */
    ngx_chain_t                        *out;      /* being written */
    ngx_chain_t                        *free;
    ngx_chain_t                        *busy;
    ngx_event_handler_pt                read_handler;  /* the connection's */

    /* detached: one buffer, freed once sent */
    u_char                             *start;
    u_char                             *pos;
    u_char                             *last_byte;
    u_char                             *end_byte;
    ngx_http_callcenter_sse_address_t  *address;  /* the count it holds */
};


/* the request's ctx while the stream is attached to it */

typedef struct {
    /* first: the request's ctx, copied, read on by the module's code */
    ngx_http_callcenter_ctx_t           api;
    ngx_http_callcenter_sse_stream_t   *stream;
} ngx_http_callcenter_sse_ctx_t;


static void ngx_http_callcenter_sse_channel_leave(
    ngx_http_callcenter_sse_stream_t *st);
static void ngx_http_callcenter_sse_worker_acked(
    ngx_http_callcenter_sse_channel_t *ch);
static void ngx_http_callcenter_sse_channel_up(
    ngx_http_callcenter_sse_channel_t *ch);
static void ngx_http_callcenter_sse_each_channel(
    void (*fn)(ngx_http_callcenter_sse_channel_t *ch));
static void ngx_http_callcenter_sse_libraries_handler(ngx_event_t *ev);
static void ngx_http_callcenter_sse_libraries_reply(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_sse_own_channel(
    ngx_http_callcenter_sse_channel_t *ch);
static void ngx_http_callcenter_sse_worker_channel(
    ngx_http_callcenter_sse_channel_t *ch);
static void ngx_http_callcenter_sse_catchup(
    ngx_http_callcenter_sse_stream_t *st);
static void ngx_http_callcenter_sse_end(ngx_http_callcenter_sse_stream_t *st,
    ngx_int_t rc);
static ngx_int_t ngx_http_callcenter_sse_begin(ngx_http_request_t *r,
    ngx_http_callcenter_stream_conf_t *scf);
static void ngx_http_callcenter_sse_deliver(
    ngx_http_callcenter_sse_channel_t *ch, cc_sse_message_t *m);
static void ngx_http_callcenter_sse_cleanup(void *data);
static ngx_int_t ngx_http_callcenter_sse_flush(
    ngx_http_callcenter_sse_stream_t *st);


static ngx_rbtree_t       ngx_http_callcenter_sse_channels;
static ngx_rbtree_node_t  ngx_http_callcenter_sse_sentinel;
static ngx_rbtree_t       ngx_http_callcenter_sse_addresses;
static ngx_rbtree_node_t  ngx_http_callcenter_sse_address_sentinel;
static ngx_uint_t         ngx_http_callcenter_sse_initialized;

/*
 * Caller streams' channels and the worker's channel.  While a library
 * that publishes on a stream's own channel alone may be called (one
 * without cc_worker_channels in FUNCTION LIST: old nodes or routers in a
 * rolling upgrade), a caller stream's channel is subscribed as before;
 * once none is left, the worker's channel carries it.
 */
static ngx_uint_t         ngx_http_callcenter_sse_worker_up;  /* acked */
static ngx_uint_t         ngx_http_callcenter_sse_old = 1;
static ngx_uint_t         ngx_http_callcenter_sse_conns;      /* made */
static ngx_uint_t         ngx_http_callcenter_sse_owned;  /* caller channels
                                                          * subscribed */
static ngx_event_t        ngx_http_callcenter_sse_libraries;

/*
 * The streams whose XRANGE is on its way, oldest first: the worker's own
 * commands, answered in the order sent on the one command link (a lost
 * link answers all of them, NULL, before the next is sent).
 */
static ngx_queue_t        ngx_http_callcenter_sse_ranges;


static void
ngx_http_callcenter_sse_init(void)
{
    if (ngx_http_callcenter_sse_initialized) {
        return;
    }

    ngx_rbtree_init(&ngx_http_callcenter_sse_channels,
                    &ngx_http_callcenter_sse_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_rbtree_init(&ngx_http_callcenter_sse_addresses,
                    &ngx_http_callcenter_sse_address_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&ngx_http_callcenter_sse_ranges);
    ngx_http_callcenter_sse_initialized = 1;
}


/* the address table: streams per client address in this worker */

static void
ngx_http_callcenter_sse_address_release(void *data)
{
    ngx_http_callcenter_sse_address_t  *a = data;

    if (--a->streams == 0) {
        ngx_rbtree_delete(&ngx_http_callcenter_sse_addresses, &a->sn.node);
        ngx_free(a);
    }
}


static ngx_int_t
ngx_http_callcenter_sse_address(ngx_http_request_t *r)
{
    uint32_t                            hash;
    ngx_str_t                           key;
    ngx_connection_t                   *c;
    ngx_pool_cleanup_t                 *cln;
    struct sockaddr_in                 *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6                *sin6;
#endif
    ngx_http_callcenter_loc_conf_t     *lcf;
    ngx_http_callcenter_sse_address_t  *a;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (lcf->streams_per_address == 0) {
        return NGX_OK;
    }

    /* the binary address, as $binary_remote_addr (after realip) */

    c = r->connection;

    switch (c->sockaddr->sa_family) {

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) c->sockaddr;
        key.data = sin6->sin6_addr.s6_addr;
        key.len = sizeof(sin6->sin6_addr.s6_addr);
        break;
#endif

    case AF_INET:
        sin = (struct sockaddr_in *) c->sockaddr;
        key.data = (u_char *) &sin->sin_addr;
        key.len = sizeof(in_addr_t);
        break;

    default:
        /* unix sockets: one address */
        key.data = (u_char *) "";
        key.len = 0;
        break;
    }

    ngx_http_callcenter_sse_init();

    hash = ngx_crc32_short(key.data, key.len);
    a = (ngx_http_callcenter_sse_address_t *)
            ngx_str_rbtree_lookup(&ngx_http_callcenter_sse_addresses, &key,
                                  hash);

    if (a != NULL && a->streams >= lcf->streams_per_address) {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (a == NULL) {
        a = ngx_alloc(sizeof(ngx_http_callcenter_sse_address_t) + key.len,
                      c->log);
        if (a == NULL) {
            return NGX_ERROR;
        }

        a->sn.str.data = (u_char *) (a + 1);
        a->sn.str.len = key.len;
        ngx_memcpy(a->sn.str.data, key.data, key.len);
        a->sn.node.key = hash;
        a->streams = 0;

        ngx_rbtree_insert(&ngx_http_callcenter_sse_addresses, &a->sn.node);
    }

    a->streams++;

    cln->handler = ngx_http_callcenter_sse_address_release;
    cln->data = a;

    return NGX_OK;
}


/* the channel table */

static ngx_http_callcenter_sse_channel_t *
ngx_http_callcenter_sse_channel_find(ngx_str_t *name)
{
    uint32_t         hash;
    ngx_str_node_t  *sn;

    ngx_http_callcenter_sse_init();

    hash = ngx_crc32_short(name->data, name->len);
    sn = ngx_str_rbtree_lookup(&ngx_http_callcenter_sse_channels, name, hash);

    return (ngx_http_callcenter_sse_channel_t *) sn;
}


static void
ngx_http_callcenter_sse_channel_free(ngx_http_callcenter_sse_channel_t *ch)
{
    if (ch->caller && !ch->worker) {
        ngx_http_callcenter_sse_owned--;
    }

    ngx_rbtree_delete(&ngx_http_callcenter_sse_channels, &ch->sn.node);
    ngx_free(ch);
}


static void
ngx_http_callcenter_sse_channel_subscribe(ngx_http_callcenter_sse_channel_t *ch)
{
    if (ch->worker) {
        /* SUBSCRIBING: till the worker's channel is acked */
        ch->state = ngx_http_callcenter_sse_worker_up
                    ? NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED
                    : NGX_HTTP_CALLCENTER_SSE_SUBSCRIBING;
        return;
    }

    if (ngx_http_callcenter_redis_subscribe(&ch->sn.str, 1) == NGX_OK) {
        ch->state = NGX_HTTP_CALLCENTER_SSE_SUBSCRIBING;

    } else {
        /* ngx_http_callcenter_sse_subscriber_up() will */
        ch->state = NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED;
    }
}


/* the last stream left a SUBSCRIBED channel */

static void
ngx_http_callcenter_sse_channel_unsubscribe(
    ngx_http_callcenter_sse_channel_t *ch)
{
    if (!ch->worker
        && ngx_http_callcenter_redis_subscribe(&ch->sn.str, 0) == NGX_OK)
    {
        ch->state = NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBING;

    } else {
        ngx_http_callcenter_sse_channel_free(ch);
    }
}


static ngx_int_t
ngx_http_callcenter_sse_channel_join(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_http_callcenter_sse_channel_t  *ch;

    ch = ngx_http_callcenter_sse_channel_find(&st->name);

    if (ch == NULL) {
        ch = ngx_alloc(sizeof(ngx_http_callcenter_sse_channel_t)
                       + st->name.len, st->connection->log);
        if (ch == NULL) {
            return NGX_ERROR;
        }

        ch->sn.str.data = (u_char *) (ch + 1);
        ch->sn.str.len = st->name.len;
        ngx_memcpy(ch->sn.str.data, st->name.data, st->name.len);
        ch->sn.node.key = ngx_crc32_short(st->name.data, st->name.len);
        ngx_queue_init(&ch->streams);
        ch->state = st->local ? NGX_HTTP_CALLCENTER_SSE_LOCAL
                              : NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED;
        ch->caller = st->party == NGX_HTTP_CALLCENTER_CALLER;
        ch->worker = ch->caller && !ngx_http_callcenter_sse_old;

        if (ch->caller && !ch->worker) {
            ngx_http_callcenter_sse_owned++;
        }

        ngx_rbtree_insert(&ngx_http_callcenter_sse_channels, &ch->sn.node);
    }

    ngx_queue_insert_tail(&ch->streams, &st->queue);
    st->channel = ch;
    st->phase = NGX_HTTP_CALLCENTER_SSE_WAIT;

    switch (ch->state) {

    case NGX_HTTP_CALLCENTER_SSE_LOCAL:
        /* nothing to catch up with */
        st->phase = NGX_HTTP_CALLCENTER_SSE_LIVE;
        break;

    case NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED:
        ngx_http_callcenter_sse_channel_subscribe(ch);

        if (ch->state == NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED) {
            /* the worker's channel */
            ngx_http_callcenter_sse_catchup(st);
        }

        break;

    case NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED:
        ngx_http_callcenter_sse_catchup(st);
        break;

    default:
        /* SUBSCRIBING: the ack starts the catch-up; UNSUBSCRIBING: the ack
         * subscribes again */
        break;
    }

    return NGX_OK;
}


static void
ngx_http_callcenter_sse_channel_leave(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_http_callcenter_sse_channel_t  *ch;

    ch = st->channel;

    if (ch == NULL) {
        return;
    }

    ngx_queue_remove(&st->queue);
    st->channel = NULL;

    if (!ngx_queue_empty(&ch->streams)) {
        return;
    }

    switch (ch->state) {

    case NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED:
        ngx_http_callcenter_sse_channel_free(ch);
        break;

    case NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED:
        ngx_http_callcenter_sse_channel_unsubscribe(ch);
        break;

    default:
        /* SUBSCRIBING: the ack unsubscribes; UNSUBSCRIBING: the ack frees;
         * LOCAL: stays, a worker has few */
        break;
    }
}


/* the redis file's news */

void
ngx_http_callcenter_sse_subscribed(ngx_str_t *channel, ngx_uint_t on)
{
    ngx_http_callcenter_sse_channel_t  *ch;

    if (channel->len == ngx_http_callcenter_redis_worker.len
        && ngx_strncmp(channel->data, ngx_http_callcenter_redis_worker.data,
                       channel->len)
           == 0)
    {
        ngx_http_callcenter_sse_worker_up = on;

        if (on) {
            ngx_http_callcenter_presence_now();
            ngx_http_callcenter_sse_each_channel(
                                        ngx_http_callcenter_sse_worker_acked);
        }

        return;
    }

    ch = ngx_http_callcenter_sse_channel_find(channel);
    if (ch == NULL) {
        return;
    }

    if (!on) {
        if (ch->state != NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBING) {
            return;
        }

        if (ngx_queue_empty(&ch->streams)) {
            ngx_http_callcenter_sse_channel_free(ch);
            return;
        }

        /* streams came while unsubscribing */
        ngx_http_callcenter_sse_channel_subscribe(ch);
        return;
    }

    if (ch->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBING) {
        return;
    }

    if (ngx_queue_empty(&ch->streams)) {
        ch->state = NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED;
        ngx_http_callcenter_sse_channel_unsubscribe(ch);
        return;
    }

    ngx_http_callcenter_sse_channel_up(ch);
}


/*
 * ch, with streams, is subscribed: the waiting ones catch up.  One that
 * fails here leaves; the channel stays SUBSCRIBED, so the last one out
 * only unsubscribes (or, carried by the worker's channel, frees it: the
 * loop ends with it).
 */

static void
ngx_http_callcenter_sse_channel_up(ngx_http_callcenter_sse_channel_t *ch)
{
    ngx_queue_t                       *q, *next;
    ngx_http_callcenter_sse_stream_t  *st;

    ch->state = NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED;

    for (q = ngx_queue_head(&ch->streams);
         q != ngx_queue_sentinel(&ch->streams);
         q = next)
    {
        next = ngx_queue_next(q);
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);

        if (st->phase == NGX_HTTP_CALLCENTER_SSE_WAIT) {
            ngx_http_callcenter_sse_catchup(st);
        }
    }
}


/* the worker's channel is subscribed: so are the channels it carries */

static void
ngx_http_callcenter_sse_worker_acked(ngx_http_callcenter_sse_channel_t *ch)
{
    if (!ch->worker || ch->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBING) {
        return;
    }

    if (ngx_queue_empty(&ch->streams)) {
        ngx_http_callcenter_sse_channel_free(ch);
        return;
    }

    ngx_http_callcenter_sse_channel_up(ch);
}


/* fn may free the channel it is given, no other */

static void
ngx_http_callcenter_sse_each_channel(
    void (*fn)(ngx_http_callcenter_sse_channel_t *ch))
{
    ngx_rbtree_node_t  *node, *next, *root, *sentinel;

    if (!ngx_http_callcenter_sse_initialized) {
        return;
    }

    sentinel = ngx_http_callcenter_sse_channels.sentinel;
    root = ngx_http_callcenter_sse_channels.root;

    if (root == sentinel) {
        return;
    }

    for (node = ngx_rbtree_min(root, sentinel); node != NULL; node = next) {
        next = ngx_rbtree_next(&ngx_http_callcenter_sse_channels, node);
        fn((ngx_http_callcenter_sse_channel_t *) node);
    }
}


static void
ngx_http_callcenter_sse_resubscribe(ngx_http_callcenter_sse_channel_t *ch)
{
    if (ch->state == NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED) {
        ngx_http_callcenter_sse_channel_subscribe(ch);
    }
}


void
ngx_http_callcenter_sse_subscriber_up(void)
{
    ngx_http_callcenter_sse_each_channel(ngx_http_callcenter_sse_resubscribe);
}


static void
ngx_http_callcenter_sse_unsubscribed(ngx_http_callcenter_sse_channel_t *ch)
{
    ngx_queue_t                       *q;
    ngx_http_callcenter_sse_stream_t  *st;

    if (ch->state == NGX_HTTP_CALLCENTER_SSE_LOCAL) {
        return;
    }

    if (ngx_queue_empty(&ch->streams)) {
        ngx_http_callcenter_sse_channel_free(ch);
        return;
    }

    ch->state = NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED;

    /* live streams go through catch-up again once subscribed */

    for (q = ngx_queue_head(&ch->streams);
         q != ngx_queue_sentinel(&ch->streams);
         q = ngx_queue_next(q))
    {
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);
        st->phase = NGX_HTTP_CALLCENTER_SSE_WAIT;
    }
}


void
ngx_http_callcenter_sse_subscriber_down(void)
{
    ngx_http_callcenter_sse_worker_up = 0;
    ngx_http_callcenter_sse_each_channel(ngx_http_callcenter_sse_unsubscribed);
}


/*
 * p's connection had left its call (its presence ran out while the stream
 * was open) and the library registered it again: what the call's other
 * workers were sent meanwhile never came here, so it is read from the
 * stream.  A stream still waiting for its channel reads it anyway.
 */

void
ngx_http_callcenter_sse_presence_lost(ngx_http_callcenter_presence_t *p)
{
    ngx_http_callcenter_sse_stream_t  *st;

    st = (ngx_http_callcenter_sse_stream_t *)
             ((u_char *) p - offsetof(ngx_http_callcenter_sse_stream_t,
                                      presence));

    if (st->channel == NULL
        || st->channel->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED)
    {
        return;
    }

    if (st->phase == NGX_HTTP_CALLCENTER_SSE_LIVE) {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "callcenter: connection \"%V\" of call \"%V\" "
                      "registered again, its stream catches up",
                      &p->conn, &p->id);

        ngx_http_callcenter_sse_catchup(st);

    } else if (st->phase == NGX_HTTP_CALLCENTER_SSE_CATCHUP && st->pending) {
        /* the XRANGE on its way may have been sent before the event */
        st->dirty = 1;
    }
}


/*
 * Catch-ups stalled by the command link go on.  Only SUBSCRIBED channels
 * are touched: a stream that leaves one never frees it.
 */

static void
ngx_http_callcenter_sse_resume(ngx_http_callcenter_sse_channel_t *ch)
{
    ngx_queue_t                       *q, *next;
    ngx_http_callcenter_sse_stream_t  *st;

    if (ch->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED) {
        return;
    }

    for (q = ngx_queue_head(&ch->streams);
         q != ngx_queue_sentinel(&ch->streams);
         q = next)
    {
        next = ngx_queue_next(q);
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);

        if (st->phase == NGX_HTTP_CALLCENTER_SSE_CATCHUP
            && !st->pending && !st->drain)
        {
            ngx_http_callcenter_sse_catchup(st);
        }
    }
}


void
ngx_http_callcenter_sse_commands_up(void)
{
    ngx_http_callcenter_presence_now();
    ngx_http_callcenter_sse_each_channel(ngx_http_callcenter_sse_resume);

    if (!ngx_http_callcenter_sse_libraries.timer_set) {
        ngx_http_callcenter_sse_libraries_handler(
                                        &ngx_http_callcenter_sse_libraries);
    }
}


/*
 * Which libraries may be called: each second FUNCTION LIST of the
 * callcenter_* libraries.  One without cc_worker_channels (a version
 * before it) publishes a caller stream's events on its own channel alone,
 * so while one is loaded, caller channels are subscribed; once none is
 * left (its nodes gone, FUNCTION DELETE: docs/DESIGN.md "Versions and
 * rolling upgrades"), new ones ride on the worker's channel.
 */

static void
ngx_http_callcenter_sse_libraries_handler(ngx_event_t *ev)
{
    static const char    *argv[] = { "FUNCTION", "LIST", "LIBRARYNAME",
                                     "callcenter_*" };
    static const size_t   argvlen[] = { 8, 4, 11, 12 };

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    ev->handler = ngx_http_callcenter_sse_libraries_handler;
    ev->log = ngx_cycle->log;
    ev->cancelable = 1;

    (void) ngx_http_callcenter_redis_command(NULL,
                                        ngx_http_callcenter_sse_libraries_reply,
                                        4, argv, argvlen);

    ngx_add_timer(ev, NGX_HTTP_CALLCENTER_SSE_LIBRARIES);
}


/* a library before this one's (worker channels, status by difference) may
 * be called: 1 until FUNCTION LIST said otherwise */

ngx_uint_t
ngx_http_callcenter_sse_old_library(void)
{
    return ngx_http_callcenter_sse_old;
}


/* the string after name in a flat list of names and values, or NULL */

static redisReply *
ngx_http_callcenter_sse_field(redisReply *list, const char *name)
{
    size_t  i;

    if (list->type != REDIS_REPLY_ARRAY) {
        return NULL;
    }

    for (i = 0; i + 1 < list->elements; i += 2) {
        if (list->element[i]->type == REDIS_REPLY_STRING
            && ngx_strcmp(list->element[i]->str, name) == 0)
        {
            return list->element[i + 1];
        }
    }

    return NULL;
}


static void
ngx_http_callcenter_sse_libraries_reply(ngx_http_request_t *r,
    redisReply *reply)
{
    size_t       i, j;
    ngx_uint_t   old, marked;
    redisReply  *lib, *fns, *fn;

    static ngx_uint_t  refused;

    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !refused) {
        /* an ACL without FUNCTION LIST: said once, the savings never come */
        refused = 1;
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "callcenter: FUNCTION LIST refused (%*s): caller "
                      "streams keep subscribing their own channels and "
                      "status answers are read whole; allow FUNCTION LIST "
                      "to the nodes' Redis user",
                      ngx_min(reply->len, 128), reply->str);
    }

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        /* an answer that tells nothing changes nothing */
        return;
    }

    old = 0;

    for (i = 0; i < reply->elements; i++) {
        lib = reply->element[i];
        fns = ngx_http_callcenter_sse_field(lib, "functions");

        if (fns == NULL || fns->type != REDIS_REPLY_ARRAY) {
            old = 1;
            continue;
        }

        marked = 0;

        for (j = 0; j < fns->elements && !marked; j++) {
            fn = ngx_http_callcenter_sse_field(fns->element[j], "name");

            marked = fn != NULL && fn->type == REDIS_REPLY_STRING
                     && ngx_strncmp(fn->str, "cc_worker_channels_",
                                    sizeof("cc_worker_channels_") - 1)
                        == 0;
        }

        old |= !marked;
    }

    if (old && !ngx_http_callcenter_sse_old) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "callcenter: a library before worker channels is "
                      "loaded: caller streams subscribe their channels");

        ngx_http_callcenter_sse_each_channel(
                                        ngx_http_callcenter_sse_own_channel);
    }

    ngx_http_callcenter_sse_old = old;

    if (!old && ngx_http_callcenter_sse_worker_up
        && ngx_http_callcenter_sse_owned)
    {
        ngx_http_callcenter_sse_each_channel(
                                     ngx_http_callcenter_sse_worker_channel);
    }
}


/*
 * No library before worker channels is left: a caller channel subscribed
 * gives its subscription back, the worker's channel carries it already
 * (its streams' connections are tagged); the UNSUBSCRIBE's ack finds it
 * SUBSCRIBED and changes nothing.
 */

static void
ngx_http_callcenter_sse_worker_channel(ngx_http_callcenter_sse_channel_t *ch)
{
    if (!ch->caller || ch->worker
        || ch->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED)
    {
        return;
    }

    if (ngx_http_callcenter_redis_subscribe(&ch->sn.str, 0) == NGX_OK) {
        ch->worker = 1;
        ngx_http_callcenter_sse_owned--;
    }
}


/*
 * A library before worker channels came: a channel the worker's channel
 * carried subscribes its own, and its streams catch up again once it is
 * (what that library published meanwhile is in the stream).
 */

static void
ngx_http_callcenter_sse_own_channel(ngx_http_callcenter_sse_channel_t *ch)
{
    ngx_queue_t                       *q;
    ngx_http_callcenter_sse_stream_t  *st;

    if (!ch->worker) {
        return;
    }

    ch->worker = 0;
    ngx_http_callcenter_sse_owned++;

    if (ch->state == NGX_HTTP_CALLCENTER_SSE_UNSUBSCRIBED) {
        /* ngx_http_callcenter_sse_subscriber_up() will */
        return;
    }

    for (q = ngx_queue_head(&ch->streams);
         q != ngx_queue_sentinel(&ch->streams);
         q = ngx_queue_next(q))
    {
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);
        st->phase = NGX_HTTP_CALLCENTER_SSE_WAIT;
    }

    ngx_http_callcenter_sse_channel_subscribe(ch);
}


/*
 * The worker exits: channels still in the table (an UNSUBSCRIBE whose ack
 * will never come, streams nobody finalizes) are freed; their streams are
 * unlinked, nothing reads them any more.
 */

static void
ngx_http_callcenter_sse_forget(ngx_http_callcenter_sse_channel_t *ch)
{
    ngx_queue_t                       *q;
    ngx_http_callcenter_sse_stream_t  *st;

    while (!ngx_queue_empty(&ch->streams)) {
        q = ngx_queue_head(&ch->streams);
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);

        ngx_queue_remove(q);
        st->channel = NULL;
    }

    ngx_http_callcenter_sse_channel_free(ch);
}


void
ngx_http_callcenter_sse_exit_process(void)
{
    ngx_http_callcenter_sse_each_channel(ngx_http_callcenter_sse_forget);
}


/* output */

/* attached: room for size bytes at the end of the chain */

static u_char *
ngx_http_callcenter_sse_chain_reserve(ngx_http_callcenter_sse_stream_t *st,
    size_t size)
{
    size_t        cap;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, **ll;

    ll = &st->out;

    for (cl = st->out; cl; cl = cl->next) {
        ll = &cl->next;

        if (cl->next == NULL && (size_t) (cl->buf->end - cl->buf->last)
                                >= size)
        {
            return cl->buf->last;
        }
    }

    cl = ngx_chain_get_free_buf(st->request->pool, &st->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;

    if (b->start == NULL || (size_t) (b->end - b->start) < size) {
        cap = ngx_max(size, NGX_HTTP_CALLCENTER_SSE_BUF);

        b->start = ngx_palloc(st->request->pool, cap);
        if (b->start == NULL) {
            return NULL;
        }

        b->end = b->start + cap;
    }

    b->pos = b->start;
    b->last = b->start;
    b->memory = 1;
    b->flush = 0;
    b->last_buf = 0;
    b->tag = (ngx_buf_tag_t) &ngx_http_callcenter_module;

    *ll = cl;

    return b->last;
}


/* detached: room for size bytes and their chunk framing */

static u_char *
ngx_http_callcenter_sse_buf_reserve(ngx_http_callcenter_sse_stream_t *st,
    size_t size)
{
    u_char  *p;
    size_t   need, unsent, cap;

    need = size + NGX_HTTP_CALLCENTER_SSE_CHUNK;
    unsent = st->last_byte - st->pos;

    if ((size_t) (st->end_byte - st->last_byte) < need) {
        cap = st->end_byte - st->start;

        if (cap - unsent >= need) {
            /* what was sent makes room */
            ngx_memmove(st->start, st->pos, unsent);

        } else {
            cap = ngx_max(unsent + need, 2 * cap);

            p = ngx_alloc(cap, st->connection->log);
            if (p == NULL) {
                return NULL;
            }

            if (unsent) {
                ngx_memcpy(p, st->pos, unsent);
            }

            if (st->start) {
                ngx_free(st->start);
            }

            st->start = p;
            st->end_byte = p + cap;
        }

        st->pos = st->start;
        st->last_byte = st->start + unsent;
    }

    if (st->chunked) {
        return ngx_sprintf(st->last_byte, "%xz" CRLF, size);
    }

    return st->last_byte;
}


/* the bytes to write at most size, then ngx_http_callcenter_sse_commit() */

static u_char *
ngx_http_callcenter_sse_reserve(ngx_http_callcenter_sse_stream_t *st,
    size_t size)
{
    if (st->request) {
        return ngx_http_callcenter_sse_chain_reserve(st, size);
    }

    return ngx_http_callcenter_sse_buf_reserve(st, size);
}


/* what was written ends at p */

static void
ngx_http_callcenter_sse_commit(ngx_http_callcenter_sse_stream_t *st, u_char *p)
{
    ngx_chain_t  *cl;

    if (st->request) {
        for (cl = st->out; cl->next; cl = cl->next) { /* void */ }
        cl->buf->last = p;
        return;
    }

    if (st->chunked) {
        *p++ = CR;
        *p++ = LF;
    }

    st->last_byte = p;
}


static ngx_int_t
ngx_http_callcenter_sse_raw(ngx_http_callcenter_sse_stream_t *st,
    const char *s, size_t len)
{
    u_char  *p;

    p = ngx_http_callcenter_sse_reserve(st, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_callcenter_sse_commit(st, ngx_cpymem(p, s, len));

    return NGX_OK;
}


static ngx_int_t
ngx_http_callcenter_sse_event(ngx_http_callcenter_sse_stream_t *st,
    u_char *id, size_t id_len, u_char *event, size_t event_len, u_char *data,
    size_t data_len)
{
    size_t   len;
    u_char  *p;

    len = cc_sse_frame_len(id_len, event_len, (char *) data, data_len);

    p = ngx_http_callcenter_sse_reserve(st, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_callcenter_sse_commit(st,
                            (u_char *) cc_sse_frame((char *) p, (char *) id,
                                                    id_len, (char *) event,
                                                    event_len, (char *) data,
                                                    data_len));

    return NGX_OK;
}


/* the bytes written and not sent yet (nginx's part; the kernel's is bound
 * by SO_SNDBUF) */

static size_t
ngx_http_callcenter_sse_unsent(ngx_http_callcenter_sse_stream_t *st)
{
    size_t        n;
    ngx_chain_t  *cl;

    if (st->request == NULL) {
        return st->last_byte - st->pos;
    }

    n = 0;

    for (cl = st->busy; cl; cl = cl->next) {
        n += ngx_buf_size(cl->buf);
    }

    for (cl = st->out; cl; cl = cl->next) {
        n += ngx_buf_size(cl->buf);
    }

    return n;
}


/*
 * Whether an event of len bytes fits the stream buffer.  An event alone
 * always does: a client must be able to get every event.
 */

static ngx_uint_t
ngx_http_callcenter_sse_fits(ngx_http_callcenter_sse_stream_t *st,
    size_t len)
{
    size_t  unsent;

    unsent = ngx_http_callcenter_sse_unsent(st);

    return unsent == 0 || unsent + len <= st->conf->stream_buffer;
}


/* below the low-water mark: the next catch-up page may come */

static ngx_uint_t
ngx_http_callcenter_sse_low(ngx_http_callcenter_sse_stream_t *st)
{
    size_t  unsent;

    unsent = ngx_http_callcenter_sse_unsent(st);

    return unsent <= st->conf->stream_buffer / 2
           && ngx_http_callcenter_sse_fits(st, st->room);
}


/* attached: through the filters; all sent, the stream may detach */

static ngx_int_t
ngx_http_callcenter_sse_filter(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = st->request;
    c = st->connection;

    if (st->out) {
        for (cl = st->out; cl->next; cl = cl->next) { /* void */ }
        cl->buf->flush = 1;
    }

    rc = ngx_http_output_filter(r, st->out);

    ngx_chain_update_chains(r->pool, &st->free, &st->busy, &st->out,
                            (ngx_buf_tag_t) &ngx_http_callcenter_module);

    /* buffers larger than usual go back to the pool at once */

    for (cl = st->free; cl; cl = cl->next) {
        b = cl->buf;

        if (b->start && b->end - b->start > NGX_HTTP_CALLCENTER_SSE_BUF) {
            ngx_pfree(r->pool, b->start);
            b->start = NULL;
            b->end = NULL;
        }
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (c->buffered & NGX_HTTP_WRITE_BUFFERED) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, st->core->send_timeout);
        }

    } else if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_handle_write_event(c->write, st->core->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    if (st->detachable && !st->ending && !st->closing && st->busy == NULL
        && !c->buffered && !st->end.posted)
    {
        /* once the request is nobody else's: ngx_http_callcenter_sse_detach */
        ngx_post_event(&st->end, &ngx_posted_events);
    }

    return NGX_OK;
}


/* detached: straight to the socket */

static ngx_int_t
ngx_http_callcenter_sse_send(ngx_http_callcenter_sse_stream_t *st)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = st->connection;

    while (st->pos < st->last_byte) {
        n = c->send(c, st->pos, st->last_byte - st->pos);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n == NGX_AGAIN || n == 0) {
            break;
        }

        st->pos += n;
    }

    if (st->pos < st->last_byte) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, st->core->send_timeout);
        }

        return ngx_handle_write_event(c->write, 0);
    }

    /* an idle stream holds no buffer */

    if (st->start) {
        ngx_free(st->start);
        st->start = NULL;
        st->pos = NULL;
        st->last_byte = NULL;
        st->end_byte = NULL;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (st->closing && !st->end.posted) {
        ngx_post_event(&st->end, &ngx_posted_events);
    }

    return NGX_OK;
}


/*
 * Sends what was written; a catch-up waiting for its output to drain reads
 * on.  NGX_ERROR: the stream must end.
 */

static ngx_int_t
ngx_http_callcenter_sse_flush(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_int_t  rc;

    rc = st->request ? ngx_http_callcenter_sse_filter(st)
                     : ngx_http_callcenter_sse_send(st);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (st->drain && ngx_http_callcenter_sse_low(st)) {
        st->drain = 0;

        if (st->phase == NGX_HTTP_CALLCENTER_SSE_CATCHUP) {
            ngx_http_callcenter_sse_catchup(st);
        }
    }

    return NGX_OK;
}


static ngx_http_callcenter_sse_stream_t *
ngx_http_callcenter_sse_get(ngx_http_request_t *r)
{
    ngx_http_callcenter_sse_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    return ctx->stream;
}


static void
ngx_http_callcenter_sse_write_handler(ngx_http_request_t *r)
{
    ngx_connection_t                  *c;
    ngx_http_callcenter_sse_stream_t  *st;

    c = r->connection;
    st = ngx_http_callcenter_sse_get(r);

    if (c->write->timedout) {
        c->timedout = 1;
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "callcenter: event stream timed out");
        ngx_http_callcenter_sse_channel_leave(st);
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_callcenter_sse_flush(st) != NGX_OK) {
        ngx_http_callcenter_sse_channel_leave(st);
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/* ends the stream from wherever: unlinked now, finalized when posted */

static void
ngx_http_callcenter_sse_end(ngx_http_callcenter_sse_stream_t *st,
    ngx_int_t rc)
{
    ngx_http_callcenter_sse_channel_leave(st);

    /* nothing more is written: a detached one may still be sending */
    if (st->heartbeat.timer_set) {
        ngx_del_timer(&st->heartbeat);
    }

    st->ending = 1;
    st->end_rc = rc;

    if (!st->end.posted) {
        ngx_post_event(&st->end, &ngx_posted_events);
    }
}


/* detached: the connection goes, ngx_http_callcenter_sse_cleanup() with it */

static void
ngx_http_callcenter_sse_close(ngx_http_callcenter_sse_stream_t *st)
{
    struct linger      linger;
    ngx_connection_t  *c;

    c = st->connection;

    /*
     * nothing more is written: a TLS shutdown may keep the connection
     * (and the stream) a while after this
     */
    ngx_http_callcenter_sse_channel_leave(st);

    if (st->heartbeat.timer_set) {
        ngx_del_timer(&st->heartbeat);
    }

    if (c->timedout && st->core->reset_timedout_connection) {
        linger.l_onoff = 1;
        linger.l_linger = 0;

        if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, (const void *) &linger,
                       sizeof(struct linger))
            == -1)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, ngx_socket_errno,
                          "setsockopt(SO_LINGER) failed");
        }
    }

    ngx_http_close_connection(c);
}


static void ngx_http_callcenter_sse_detach(
    ngx_http_callcenter_sse_stream_t *st);


static void
ngx_http_callcenter_sse_end_handler(ngx_event_t *ev)
{
    ngx_connection_t                  *c;
    ngx_http_request_t                *r;
    ngx_http_callcenter_sse_stream_t  *st;

    st = ev->data;
    r = st->request;
    c = st->connection;

    if (r && !st->ending) {
        ngx_http_callcenter_sse_detach(st);
        return;
    }

    if (r) {
        ngx_http_finalize_request(r, st->end_rc);
        ngx_http_run_posted_requests(c);
        return;
    }

    if (st->end_rc != NGX_ERROR && st->pos < st->last_byte) {
        /* the last words first: ngx_http_callcenter_sse_send() posts */
        st->closing = 1;
        return;
    }

    ngx_http_callcenter_sse_close(st);
}


/* the last words to a client that should come back to another worker */

static ngx_int_t
ngx_http_callcenter_sse_bye(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_chain_t  *cl;

    if (ngx_http_callcenter_sse_raw(st, NGX_HTTP_CALLCENTER_SSE_BYE,
                                    sizeof(NGX_HTTP_CALLCENTER_SSE_BYE) - 1)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (st->request) {
        for (cl = st->out; cl->next; cl = cl->next) { /* void */ }
        cl->buf->last_buf = 1;

    } else if (st->chunked) {
        /* the last chunk: the reserve left room for it */
        st->last_byte = ngx_cpymem(st->last_byte,
                                   NGX_HTTP_CALLCENTER_SSE_LAST,
                                   sizeof(NGX_HTTP_CALLCENTER_SSE_LAST) - 1);
    }

    st->closing = 1;

    return ngx_http_callcenter_sse_flush(st);
}


/* catch-up */

static void
ngx_http_callcenter_sse_range_reply(ngx_http_request_t *r, redisReply *reply)
{
    size_t                             i, j, len;
    ngx_uint_t                         more;
    ngx_queue_t                       *q;
    redisReply                        *e, *f, *event, *data;
    cc_sse_id_t                        id;
    ngx_http_callcenter_sse_stream_t  *st;

    /* r is NULL: the worker's command; the stream is the oldest waiting */

    if (ngx_queue_empty(&ngx_http_callcenter_sse_ranges)) {
        return;
    }

    q = ngx_queue_head(&ngx_http_callcenter_sse_ranges);
    ngx_queue_remove(q);
    st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, range);

    if (st->gone) {
        ngx_free(st);
        return;
    }

    st->pending = 0;
    st->room = 0;
    more = 0;

    if (st->channel == NULL) {
        return;
    }

    if (reply == NULL) {
        /* the command link is down: ngx_http_callcenter_sse_commands_up() */
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        /* the cycle's log: a request's names its line, token and all */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: XRANGE %V: %s", &st->name,
                      reply->type == REDIS_REPLY_ERROR ? reply->str
                                                       : "unexpected reply");
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING
            || e->element[1]->type != REDIS_REPLY_ARRAY
            || cc_sse_id_parse(e->element[0]->str, e->element[0]->len, &id)
               != 0
            || cc_sse_id_cmp(&id, &st->last) <= 0)
        {
            continue;
        }

        event = NULL;
        data = NULL;
        f = e->element[1];

        for (j = 0; j + 1 < f->elements; j += 2) {
            if (f->element[j]->type != REDIS_REPLY_STRING
                || f->element[j + 1]->type != REDIS_REPLY_STRING)
            {
                continue;
            }

            if (ngx_strcmp(f->element[j]->str, "event") == 0) {
                event = f->element[j + 1];

            } else if (ngx_strcmp(f->element[j]->str, "data") == 0) {
                data = f->element[j + 1];
            }
        }

        if (event == NULL || data == NULL) {
            continue;
        }

        len = cc_sse_frame_len(e->element[0]->len, event->len, data->str,
                               data->len);

        if (!ngx_http_callcenter_sse_fits(st, len)) {
            /* the rest is read again once there is room */
            st->room = len;
            more = 1;
            break;
        }

        if (ngx_http_callcenter_sse_event(st, (u_char *) e->element[0]->str,
                                          e->element[0]->len,
                                          (u_char *) event->str, event->len,
                                          (u_char *) data->str, data->len)
            != NGX_OK)
        {
            ngx_http_callcenter_sse_end(st, NGX_ERROR);
            return;
        }

        st->last = id;
    }

    if (ngx_http_callcenter_sse_flush(st) != NGX_OK) {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
        return;
    }

    if (st->phase != NGX_HTTP_CALLCENTER_SSE_CATCHUP) {
        /* the subscription went away meanwhile: caught up after it */
        return;
    }

    if (!ngx_http_callcenter_sse_low(st)) {
        /* the next flush below the low-water mark reads on */
        st->drain = 1;
        return;
    }

    if (more || reply->elements >= st->page || st->dirty) {
        ngx_http_callcenter_sse_catchup(st);
        return;
    }

    st->phase = NGX_HTTP_CALLCENTER_SSE_LIVE;
}


static void
ngx_http_callcenter_sse_catchup(ngx_http_callcenter_sse_stream_t *st)
{
    u_char      start[1 + CC_SSE_ID_MAX], count[NGX_INT_T_LEN];
    size_t      argvlen[6];
    ngx_int_t   rc;
    const char *argv[6];

    st->phase = NGX_HTTP_CALLCENTER_SSE_CATCHUP;

    if (st->drain) {
        return;
    }

    if (st->pending) {
        /* the reply on its way reads again */
        st->dirty = 1;
        return;
    }

    st->dirty = 0;

    start[0] = '(';

    argv[0] = "XRANGE";
    argvlen[0] = 6;
    argv[1] = (char *) st->name.data;
    argvlen[1] = st->name.len;
    argv[2] = (char *) start;
    argvlen[2] = 1 + cc_sse_id_format((char *) start + 1, &st->last);
    argv[3] = "+";
    argvlen[3] = 1;
    argv[4] = "COUNT";
    argvlen[4] = 5;
    argv[5] = (char *) count;
    argvlen[5] = ngx_sprintf(count, "%ui", st->page) - count;

    rc = ngx_http_callcenter_redis_command(NULL,
                                           ngx_http_callcenter_sse_range_reply,
                                           6, argv, argvlen);

    if (rc == NGX_OK) {
        st->pending = 1;
        ngx_queue_insert_tail(&ngx_http_callcenter_sse_ranges, &st->range);

    } else if (rc == NGX_ERROR) {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
    }

    /* NGX_DECLINED: ngx_http_callcenter_sse_commands_up() goes on */
}


/*
 * live; a live-only event ("- EVENT DATA") goes to live streams only, with
 * the id they wrote last: a resume neither repeats nor misses anything for
 * it.  A stream behind with its output skips it rather than close.
 */

void
ngx_http_callcenter_sse_message(ngx_str_t *channel, ngx_str_t *payload)
{
    cc_sse_message_t                    m;
    ngx_http_callcenter_sse_channel_t  *ch;

    ch = ngx_http_callcenter_sse_channel_find(channel);
    if (ch == NULL || ch->state != NGX_HTTP_CALLCENTER_SSE_SUBSCRIBED) {
        return;
    }

    if (cc_sse_message_parse((char *) payload->data, payload->len, &m) != 0) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "callcenter: malformed message on %V", channel);
        return;
    }

    ngx_http_callcenter_sse_deliver(ch, &m);
}


/* a local channel's event (a stored one: each stream writes it once) */

void
ngx_http_callcenter_sse_local(ngx_str_t *channel, ngx_str_t *id,
    ngx_str_t *event, ngx_str_t *data)
{
    cc_sse_message_t                    m;
    ngx_http_callcenter_sse_channel_t  *ch;

    ch = ngx_http_callcenter_sse_channel_find(channel);
    if (ch == NULL || ch->state != NGX_HTTP_CALLCENTER_SSE_LOCAL) {
        return;
    }

    if (cc_sse_id_parse((char *) id->data, id->len, &m.id) != 0) {
        return;
    }

    m.live = 0;
    m.id_str = (char *) id->data;
    m.id_len = id->len;
    m.event = (char *) event->data;
    m.event_len = event->len;
    m.data = (char *) data->data;
    m.data_len = data->len;

    ngx_http_callcenter_sse_deliver(ch, &m);
}


ngx_uint_t
ngx_http_callcenter_sse_local_streams(ngx_str_t *channel)
{
    ngx_http_callcenter_sse_channel_t  *ch;

    ch = ngx_http_callcenter_sse_channel_find(channel);

    return ch != NULL && !ngx_queue_empty(&ch->streams);
}


/* an event to the live streams of a channel */

static void
ngx_http_callcenter_sse_deliver(ngx_http_callcenter_sse_channel_t *ch,
    cc_sse_message_t *m)
{
    u_char                             *id, last[CC_SSE_ID_MAX];
    size_t                              id_len;
    ngx_queue_t                        *q, *next;
    ngx_http_callcenter_sse_stream_t   *st;

    for (q = ngx_queue_head(&ch->streams);
         q != ngx_queue_sentinel(&ch->streams);
         q = next)
    {
        next = ngx_queue_next(q);
        st = ngx_queue_data(q, ngx_http_callcenter_sse_stream_t, queue);

        if (st->phase == NGX_HTTP_CALLCENTER_SSE_CATCHUP && !m->live) {
            st->dirty = 1;
            continue;
        }

        if (st->phase != NGX_HTTP_CALLCENTER_SSE_LIVE) {
            continue;
        }

        if (m->live) {
            if (!ngx_http_callcenter_sse_low(st)) {
                continue;
            }

            id = last;
            id_len = cc_sse_id_format((char *) last, &st->last);

        } else if (cc_sse_id_cmp(&m->id, &st->last) > 0) {
            id = (u_char *) m->id_str;
            id_len = m->id_len;

        } else {
            continue;
        }

        if (!ngx_http_callcenter_sse_fits(st,
                                 cc_sse_frame_len(id_len, m->event_len,
                                                  m->data, m->data_len)))
        {
            ngx_log_error(NGX_LOG_INFO, st->connection->log, 0,
                          "callcenter: client does not read its event "
                          "stream, %uz bytes unsent",
                          ngx_http_callcenter_sse_unsent(st));
            ngx_http_callcenter_sse_end(st, NGX_ERROR);
            continue;
        }

        if (ngx_http_callcenter_sse_event(st, id, id_len,
                                          (u_char *) m->event, m->event_len,
                                          (u_char *) m->data, m->data_len)
            != NGX_OK
            || ngx_http_callcenter_sse_flush(st) != NGX_OK)
        {
            ngx_http_callcenter_sse_end(st, NGX_ERROR);
            continue;
        }

        if (!m->live) {
            st->last = m->id;
        }
    }
}


/* heartbeats, presence of the stream's agent or caller */

ngx_int_t
ngx_http_callcenter_sse_conn(ngx_http_request_t *r, ngx_uint_t party,
    ngx_str_t *ttl, ngx_int_t *rc)
{
    ngx_int_t                        n;
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_callcenter_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    /* a status stream starts from the figures of now, whatever it saw */

    if (party != NGX_HTTP_CALLCENTER_STATUS
        && ngx_http_callcenter_last_id(r, &ctx->last_id) != NGX_OK)
    {
        *rc = ngx_http_callcenter_send_error(r, NGX_HTTP_BAD_REQUEST,
                                             "malformed last event id");
        return NGX_DECLINED;
    }

    n = ngx_http_callcenter_sse_address(r);

    if (n == NGX_DECLINED) {
        *rc = ngx_http_callcenter_send_error(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                             "too many streams");
        return NGX_DECLINED;
    }

    if (n != NGX_OK) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    if (party == NGX_HTTP_CALLCENTER_STATUS) {
        /* nobody to keep present */
        return NGX_OK;
    }

    ttl->data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

    if (ttl->data == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    if (party == NGX_HTTP_CALLCENTER_CALLER) {
        /* "TAG.N": the library publishes to this worker's channel */
        ctx->conn_id.data = ngx_pnalloc(r->pool,
                                        ngx_http_callcenter_redis_tag.len
                                        + 1 + NGX_INT_T_LEN);
        if (ctx->conn_id.data == NULL) {
            *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_DECLINED;
        }

        ctx->conn_id.len = ngx_sprintf(ctx->conn_id.data, "%V.%xi",
                                       &ngx_http_callcenter_redis_tag,
                                       ++ngx_http_callcenter_sse_conns)
                           - ctx->conn_id.data;

    } else if (ngx_http_callcenter_random(r, NGX_HTTP_CALLCENTER_CONN_BYTES,
                                          &ctx->conn_id)
               != NGX_OK)
    {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    ttl->len = ngx_sprintf(ttl->data, "%M",
                           ngx_http_callcenter_presence_ttl(lcf, party))
               - ttl->data;

    return NGX_OK;
}


static void
ngx_http_callcenter_sse_heartbeat_handler(ngx_event_t *ev)
{
    ngx_http_callcenter_sse_stream_t  *st;

    st = ev->data;

    if (ngx_exiting || ngx_terminate) {
        ngx_http_callcenter_sse_end(st, ngx_http_callcenter_sse_bye(st));
        return;
    }

    if (ngx_http_callcenter_sse_raw(st, NGX_HTTP_CALLCENTER_SSE_PING,
                                    sizeof(NGX_HTTP_CALLCENTER_SSE_PING) - 1)
        != NGX_OK
        || ngx_http_callcenter_sse_flush(st) != NGX_OK)
    {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
        return;
    }

    ngx_add_timer(ev, st->conf->heartbeat);
}


/* the client */

/* whether the client closed its side (it sends nothing while streaming) */

static ngx_uint_t
ngx_http_callcenter_sse_client_gone(ngx_connection_t *c)
{
    int           n;
    char          buf[1];
    ngx_err_t     err;
    ngx_event_t  *rev;

    rev = c->read;
    err = 0;

#if (NGX_HAVE_EPOLLRDHUP)

    if ((ngx_event_flags & NGX_USE_EPOLL_EVENT) && ngx_use_epoll_rdhup) {
        if (!rev->pending_eof) {
            return 0;
        }

        goto closed;
    }

#endif

    n = recv(c->fd, buf, 1, MSG_PEEK);

    if (n == 0) {
        goto closed;

    } else if (n == -1) {
        err = ngx_socket_errno;

        if (err != NGX_EAGAIN) {
            rev->error = 1;
            goto closed;
        }
    }

    /* more request bytes, a pipelined request: not read while streaming */

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
        if (ngx_del_event(rev, NGX_READ_EVENT, 0) != NGX_OK) {
            err = 0;
            goto closed;
        }
    }

    return 0;

closed:

    rev->eof = 1;
    c->error = 1;

    ngx_log_error(NGX_LOG_INFO, c->log, err,
                  "client closed the event stream");

    return 1;
}


static void
ngx_http_callcenter_sse_read_handler(ngx_http_request_t *r)
{
    ngx_connection_t                  *c;
    ngx_http_callcenter_sse_stream_t  *st;

    c = r->connection;

#if (NGX_HTTP_V2)

    if (r->stream) {
        if (!c->error) {
            return;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "client closed the event stream");

    } else

#endif

    if (!ngx_http_callcenter_sse_client_gone(c)) {
        return;
    }

    st = ngx_http_callcenter_sse_get(r);
    ngx_http_callcenter_sse_channel_leave(st);

    ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
}


/*
 * The connection's read handler while streaming: an exiting worker closes
 * idle connections with c->close set; the client gets a last retry first.
 */

static void
ngx_http_callcenter_sse_conn_read(ngx_event_t *rev)
{
    ngx_connection_t                  *c;
    ngx_http_callcenter_sse_stream_t  *st;

    c = rev->data;
    st = ngx_http_callcenter_sse_get(c->data);

    if (c->close) {
        ngx_http_callcenter_sse_channel_leave(st);
        (void) ngx_http_callcenter_sse_bye(st);
    }

    st->read_handler(rev);
}


/* detached: the connection's handlers, c->data is the stream */

static void
ngx_http_callcenter_sse_detached_read(ngx_event_t *rev)
{
    ngx_connection_t                  *c;
    ngx_http_callcenter_sse_stream_t  *st;

    c = rev->data;
    st = c->data;

    if (c->close) {
        /*
         * an exiting worker waits for no posted event: closed now, or
         * once the last words are sent (the write timer keeps it); past
         * worker_shutdown_timeout (c->error) closed now whatever is unsent
         */
        if (!c->error) {
            if (!st->ending && ngx_http_callcenter_sse_bye(st) == NGX_OK
                && st->pos < st->last_byte)
            {
                ngx_http_callcenter_sse_end(st, NGX_OK);
                return;
            }

            if (st->ending && st->pos < st->last_byte) {
                return;
            }
        }

        ngx_http_callcenter_sse_close(st);
        return;
    }

    if (ngx_http_callcenter_sse_client_gone(c)) {
        ngx_http_callcenter_sse_close(st);
    }
}


static void
ngx_http_callcenter_sse_detached_write(ngx_event_t *wev)
{
    ngx_connection_t                  *c;
    ngx_http_callcenter_sse_stream_t  *st;

    c = wev->data;
    st = c->data;

    if (wev->timedout) {
        c->timedout = 1;
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "callcenter: event stream timed out");
        ngx_http_callcenter_sse_close(st);
        return;
    }

    if (ngx_http_callcenter_sse_flush(st) != NGX_OK) {
        c->error = 1;
        ngx_http_callcenter_sse_close(st);
    }
}


/*
 * Attached: the stream goes with r's pool; detached, with the connection's.
 * The stream itself is freed here, or by its XRANGE's reply on its way.
 */

static void
ngx_http_callcenter_sse_cleanup(void *data)
{
    ngx_http_callcenter_sse_stream_t  *st = data;

    ngx_connection_t  *c;

    ngx_http_callcenter_metrics_stream(st->party, -1);

    ngx_http_callcenter_sse_channel_leave(st);

    if (st->heartbeat.timer_set) {
        ngx_del_timer(&st->heartbeat);
    }

    if (st->end.posted) {
        ngx_delete_posted_event(&st->end);
    }

    c = st->connection;

    if (c->read->handler == ngx_http_callcenter_sse_conn_read) {
        c->read->handler = st->read_handler;
        c->idle = 0;
    }

    ngx_http_callcenter_presence_close(&st->presence);

    if (st->address) {
        ngx_http_callcenter_sse_address_release(st->address);
    }

    if (st->start) {
        ngx_free(st->start);
    }

    if (st->pending) {
        st->gone = 1;
        return;
    }

    ngx_free(st);
}


/*
 * limit_conn counts a stream in its zone until its cleanup runs with the
 * request's pool: the cleanup (its handler is nginx's own, static) is told
 * by its data, {zone, node}, naming a zone of ngx_http_limit_conn_module,
 * and moves with the stream, else a client would open streams past it.
 */

static ngx_uint_t
ngx_http_callcenter_sse_limit_conn(ngx_pool_cleanup_t *cln)
{
    ngx_uint_t                   i;
    ngx_module_t                *module;
    ngx_shm_zone_t              *zone, *shm;
    ngx_list_part_t             *part;
    static ngx_pool_cleanup_pt   handler;

    if (handler) {
        return cln->handler == handler;
    }

    if (cln->data == NULL) {
        return 0;
    }

    module = NULL;

    for (i = 0; ngx_cycle->modules[i]; i++) {
        if (ngx_strcmp(ngx_cycle->modules[i]->name,
                       "ngx_http_limit_conn_module")
            == 0)
        {
            module = ngx_cycle->modules[i];
            break;
        }
    }

    if (module == NULL) {
        return 0;
    }

    zone = *(ngx_shm_zone_t **) cln->data;

    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    shm = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            shm = part->elts;
            i = 0;
        }

        if (zone == &shm[i] && shm[i].tag == module) {
            /* every limit_conn cleanup has this handler */
            handler = cln->handler;
            return 1;
        }
    }
}


/* the large header buffers of a chain, and its links, back to the pool */

static void
ngx_http_callcenter_sse_free_buffers(ngx_connection_t *c, ngx_chain_t *cl)
{
    ngx_chain_t  *ln;

    while (cl) {
        ln = cl;
        cl = cl->next;
        ngx_pfree(c->pool, ln->buf->start);
        ngx_free_chain(c->pool, ln);
    }
}


/*
 * Once the response head and what followed it are sent and nobody else
 * holds the request: the request is logged and freed, the header buffers
 * too (as ngx_http_set_keepalive() does), and the stream goes on with the
 * connection.  What the request's pool counted for the stream (its
 * cleanup, its address) moves to the connection's.
 */

static void
ngx_http_callcenter_sse_detach(ngx_http_callcenter_sse_stream_t *st)
{
    ngx_buf_t               *b;
    ngx_connection_t        *c;
    ngx_pool_cleanup_t      *cln, *own, *lc;
    ngx_http_request_t      *r;
    ngx_http_connection_t   *hc;

    r = st->request;
    c = st->connection;

    if (r->main->count != 1 || r->blocked || r->postponed
        || r->discard_body || r->reading_body || st->busy || st->out
        || c->buffered || c->error || st->closing)
    {
        return;
    }

    own = ngx_pool_cleanup_add(c->pool, 0);
    if (own == NULL) {
        return;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {

        if (cln->handler == ngx_http_callcenter_sse_cleanup) {
            cln->handler = NULL;

        } else if (cln->handler == ngx_http_callcenter_sse_address_release) {
            st->address = cln->data;
            cln->handler = NULL;

        } else if (cln->handler != NULL
                   && ngx_http_callcenter_sse_limit_conn(cln))
        {
            /* ngx_http_limit_conn_cleanup_t: the zone, the node */
            lc = ngx_pool_cleanup_add(c->pool, 2 * sizeof(void *));
            if (lc == NULL) {
                continue;
            }

            ngx_memcpy(lc->data, cln->data, 2 * sizeof(void *));
            lc->handler = cln->handler;
            cln->handler = NULL;
        }
    }

    own->handler = ngx_http_callcenter_sse_cleanup;
    own->data = st;

    st->chunked = r->chunked;
    st->free = NULL;
    st->request = NULL;

    if (c->read->handler == ngx_http_callcenter_sse_conn_read) {
        c->read->handler = st->read_handler;
    }

    hc = r->http_connection;

    ngx_http_free_request(r, 0);

    c->data = st;
    c->destroyed = 0;
    c->idle = 1;
    c->log->action = "sending events";

    c->read->handler = ngx_http_callcenter_sse_detached_read;
    c->write->handler = ngx_http_callcenter_sse_detached_write;

    /* the header buffers: the stream reads no more requests */

    b = c->buffer;

    if (b && b->start && ngx_pfree(c->pool, b->start) == NGX_OK) {
        b->start = NULL;
        b->pos = NULL;
        b->last = NULL;
        b->end = NULL;
    }

    ngx_http_callcenter_sse_free_buffers(c, hc->free);
    hc->free = NULL;

    ngx_http_callcenter_sse_free_buffers(c, hc->busy);
    hc->busy = NULL;
    hc->nbusy = 0;

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        ngx_ssl_free_buffer(c);

        /*
         * an SSL_write() retried is given the unsent bytes where they are
         * now: the output moves as it grows (nginx's own writes keep
         * theirs still, and do not set this)
         */
        SSL_set_mode(c->ssl->connection, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
#endif

    /* each event goes out as written, no Nagle wait behind the one before */
    if (st->core->tcp_nodelay && ngx_tcp_nodelay(c) != NGX_OK) {
        c->error = 1;
    }

    if (c->read->ready) {
        /* the client may have left meanwhile */
        ngx_post_event(c->read, &ngx_posted_events);
    }
}


void
ngx_http_callcenter_sse_start(ngx_http_request_t *r,
    ngx_http_callcenter_stream_conf_t *scf)
{
    ngx_int_t  rc;

    rc = ngx_http_callcenter_sse_begin(r, scf);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_http_callcenter_finalize_error(r, rc, "stream not started");
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/* NGX_DONE (the request is the stream's now) or an HTTP status */

static ngx_int_t
ngx_http_callcenter_sse_begin(ngx_http_request_t *r,
    ngx_http_callcenter_stream_conf_t *scf)
{
    int                                sndbuf;
    size_t                             entry;
    u_char                            *p;
    ngx_int_t                          rc;
    ngx_uint_t                         i;
    cc_sse_id_t                        last, snap;
    ngx_table_elt_t                   *h;
    ngx_connection_t                  *c;
    ngx_pool_cleanup_t                *cln;
    ngx_http_callcenter_ctx_t         *api;
    ngx_http_callcenter_event_t       *ev;
    ngx_http_callcenter_sse_ctx_t     *ctx;
    ngx_http_callcenter_loc_conf_t    *lcf;
    ngx_http_callcenter_sse_stream_t  *st;

    c = r->connection;
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (cc_sse_id_parse((char *) scf->last_id.data, scf->last_id.len, &last)
        != 0)
    {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (scf->snapshot && scf->snapshot->nelts) {
        if (cc_sse_id_parse((char *) scf->snapshot_id.data,
                            scf->snapshot_id.len, &snap)
            != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* ids grow: nothing at or below the snapshot's follows it */
        if (cc_sse_id_cmp(&snap, &last) > 0) {
            last = snap;
        }
    }

    if (scf->channel.len == 0 || r->header_sent) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_callcenter_sse_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the stream outlives the request: its own memory, its strings after */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st = ngx_alloc(sizeof(ngx_http_callcenter_sse_stream_t)
                   + scf->channel.len + scf->present.len + scf->conn_id.len,
                   c->log);
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(st, sizeof(ngx_http_callcenter_sse_stream_t));

    /* freed with r's pool until the stream detaches */
    cln->handler = ngx_http_callcenter_sse_cleanup;
    cln->data = st;

    st->request = r;
    st->connection = c;
    st->conf = lcf;
    st->core = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    st->last = last;
    st->party = scf->party;
    st->local = scf->local;
    ctx->stream = st;

    /* counted out by the cleanup */
    ngx_http_callcenter_metrics_stream(st->party, 1);

    /* a catch-up page of the largest entries fills half the buffer */

    entry = ngx_max(lcf->message_max, lcf->body_max)
            + NGX_HTTP_CALLCENTER_SSE_ENTRY;
    st->page = ngx_min(ngx_max(lcf->stream_buffer / 2 / entry, 1),
                       NGX_HTTP_CALLCENTER_SSE_PAGE);

    p = (u_char *) (st + 1);

    st->name.data = p;
    st->name.len = scf->channel.len;
    p = ngx_cpymem(p, scf->channel.data, scf->channel.len);

    /* a status stream has neither (NULL data: no memcpy) */

    st->presence.id.data = p;
    st->presence.id.len = scf->present.len;

    if (scf->present.len) {
        p = ngx_cpymem(p, scf->present.data, scf->present.len);
    }

    st->presence.conn.data = p;
    st->presence.conn.len = scf->conn_id.len;

    if (scf->conn_id.len) {
        ngx_memcpy(p, scf->conn_id.data, scf->conn_id.len);
    }

    /* its open registered the connection: refreshed from now on, closed
     * by the cleanup whatever happens next */
    if (scf->present.len
        && ngx_http_callcenter_presence_add(&st->presence, lcf, st->party)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the headers */

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "text/event-stream");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-cache");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Accel-Buffering");
    ngx_str_set(&h->value, "no");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    api = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    if (api) {
        ctx->api = *api;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_callcenter_module);

    if (ngx_exiting || ngx_terminate) {
        /* come back to another worker */
        return ngx_http_callcenter_sse_bye(st);
    }

    /* from here on the stream's own reference ends it */

    r->main->count++;

    st->heartbeat.handler = ngx_http_callcenter_sse_heartbeat_handler;
    st->heartbeat.data = st;
    st->heartbeat.log = c->log;
    st->heartbeat.cancelable = 1;

    st->end.handler = ngx_http_callcenter_sse_end_handler;
    st->end.data = st;
    st->end.log = c->log;

    r->read_event_handler = ngx_http_callcenter_sse_read_handler;
    r->write_event_handler = ngx_http_callcenter_sse_write_handler;

    if (r == r->main && r->stream == NULL) {
        st->read_handler = c->read->handler;
        c->read->handler = ngx_http_callcenter_sse_conn_read;
        c->idle = 1;

        /* the body goes out as written: no filter changes it later */
        st->detachable = (r->headers_out.content_encoding == NULL
                          && (r->chunked || !r->keepalive));

        /*
         * the kernel holds about the stream buffer too (Linux doubles the
         * value), not the megabytes send buffer autotuning grows to for a
         * client that does not read
         */

        sndbuf = (int) (lcf->stream_buffer / 2);

        if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, (const void *) &sndbuf,
                       sizeof(int))
            == -1)
        {
            ngx_log_error(NGX_LOG_WARN, c->log, ngx_socket_errno,
                          "callcenter: setsockopt(SO_SNDBUF) failed");
        }
    }

    /* hello, the snapshot */

    if (ngx_http_callcenter_sse_raw(st, NGX_HTTP_CALLCENTER_SSE_HELLO,
                                    sizeof(NGX_HTTP_CALLCENTER_SSE_HELLO) - 1)
        != NGX_OK)
    {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
        return NGX_DONE;
    }

    if (scf->snapshot) {
        ev = scf->snapshot->elts;

        for (i = 0; i < scf->snapshot->nelts; i++) {
            if (ngx_http_callcenter_sse_event(st, scf->snapshot_id.data,
                                              scf->snapshot_id.len,
                                              ev[i].event.data,
                                              ev[i].event.len,
                                              ev[i].data.data, ev[i].data.len)
                != NGX_OK)
            {
                ngx_http_callcenter_sse_end(st, NGX_ERROR);
                return NGX_DONE;
            }
        }
    }

    if (ngx_http_callcenter_sse_flush(st) != NGX_OK) {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
        return NGX_DONE;
    }

    ngx_add_timer(&st->heartbeat, lcf->heartbeat);

    /* then catch-up and live */

    if (ngx_http_callcenter_sse_channel_join(st) != NGX_OK) {
        ngx_http_callcenter_sse_end(st, NGX_ERROR);
    }

    return NGX_DONE;
}
