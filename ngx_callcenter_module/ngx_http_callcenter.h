
/*
 * callcenter: click-to-talk for nginx-hosted sites.
 * Declarations shared by the module's files.
 */

#ifndef _NGX_HTTP_CALLCENTER_H_INCLUDED_
#define _NGX_HTTP_CALLCENTER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <hiredis/hiredis.h>

#include "cc_redis_addr.h"


/* random bytes of an event stream's connection id: unique within one
 * call's or agent's connections, 11 characters a member in Redis */
#define NGX_HTTP_CALLCENTER_CONN_BYTES  8


/* what a location serves */
#define NGX_HTTP_CALLCENTER_NONE    0
#define NGX_HTTP_CALLCENTER_CALLER  1
#define NGX_HTTP_CALLCENTER_AGENT   2
#define NGX_HTTP_CALLCENTER_STATUS  3


typedef struct {
    cc_redis_addr_t            *redis;           /* NULL: no callcenter_redis;
                                                  * hosts (of sentinels too)
                                                  * are numeric */
    ngx_msec_t                  redis_timeout;   /* connect and command */
    ngx_msec_t                  redis_wait;      /* WAIT, with replicas= */
    ngx_uint_t                  locations;       /* callcenter locations */
    ngx_str_t                   site_key;        /* every FCALL declares it:
                                                  * "cc:{SITE}", or "cc:" */
} ngx_http_callcenter_main_conf_t;


typedef struct {
    ngx_uint_t                  type;            /* NGX_HTTP_CALLCENTER_* */
    ngx_http_complex_value_t   *agent;           /* callcenter_agent value */
    ngx_msec_t                  heartbeat;       /* callcenter_heartbeat */
    ngx_msec_t                  presence_grace;  /* agent stream gone */
    ngx_msec_t                  caller_grace;    /* caller stream gone:
                                                  * waiting call abandoned */
    size_t                      body_max;        /* POST /call body */
    size_t                      message_max;     /* message bodies */
    size_t                      stream_buffer;   /* unsent SSE output */
    ngx_uint_t                  streams_per_call;    /* 0: no limit */
    ngx_uint_t                  streams_per_address; /* in one worker */
    ngx_str_t                   caller_page;     /* 303 target of GET /call */
    ngx_http_complex_value_t   *priority;        /* callcenter_priority */
    ngx_http_complex_value_t   *customer;        /* callcenter_customer */

    /* per call limits, sent with each message to the function library */
    ngx_uint_t                  message_rate;    /* messages/s x 1000 */
    ngx_uint_t                  message_burst;
    size_t                      call_budget;     /* bytes of kept messages */
    ngx_array_t                *agent_origins;   /* ngx_str_t, normalized by
                                                  * cc_origin_normalize() */
} ngx_http_callcenter_loc_conf_t;


/*
 * Redis commands (ngx_http_callcenter_redis.c).
 *
 * A request's command: the handler runs with the reply, or with NULL when
 * Redis is away or did not answer in time (answer 503).  It is not run at
 * all if the request was freed meanwhile.  The reply belongs to hiredis and
 * lives only during the call.  With r == NULL the command is the worker's
 * own and the handler may be NULL (fire and forget).
 *
 * Returns NGX_OK when sent, NGX_DECLINED when Redis is not connected (the
 * caller answers 503 at once), NGX_ERROR on allocation failure.
 */

typedef void (*ngx_http_callcenter_reply_pt)(ngx_http_request_t *r,
    redisReply *reply);

ngx_int_t ngx_http_callcenter_redis_command(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);
/* FCALL fn_VERSION 0 args[0] .. args[n - 1]: fn of this build's version
 * of the library callcenter.lua (CC_FN); more than FCALL_ARGS args (a
 * batch) cost an allocation */
#define NGX_HTTP_CALLCENTER_FCALL_ARGS  8
ngx_int_t ngx_http_callcenter_redis_fcall(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, const char *fn, ngx_uint_t n,
    ngx_str_t *args);
/* the same for the worker itself: handler(data, reply), once, whatever
 * becomes of the link (reply NULL: none) */
typedef void (*ngx_http_callcenter_data_reply_pt)(void *data,
    redisReply *reply);
ngx_int_t ngx_http_callcenter_redis_fcall_own(
    ngx_http_callcenter_data_reply_pt handler, void *data, const char *fn,
    ngx_uint_t n, ngx_str_t *args);
ngx_uint_t ngx_http_callcenter_redis_connected(void);

ngx_int_t ngx_http_callcenter_redis_init_process(ngx_cycle_t *cycle);
void ngx_http_callcenter_redis_exit_process(ngx_cycle_t *cycle);


/*
 * Event streams (ngx_http_callcenter_sse.c).
 *
 * ngx_http_callcenter_sse_start() answers r with 200 text/event-stream and
 * keeps it open: it writes the snapshot events (each with id snapshot_id),
 * then every entry of the stream "channel" after last_id, then live
 * events, with heartbeat comments, until the client leaves or the worker
 * exits.  The worker keeps the stream's connection conn_id present for its
 * party (an agent: cc_agent_presence, the agent id in `present`; a caller:
 * cc_caller_presence, the call id) and closes it on the way out
 * (cc_agent_close, cc_caller_close).  All strings are copied.  It
 * finalizes r (from a reply handler: it drops the reference the command
 * took), answering a JSON error when the stream cannot start.
 *
 * A local stream (party NGX_HTTP_CALLCENTER_STATUS, local set, no present)
 * reads nothing from Redis: its channel, a name no Redis key has, is the
 * worker's own and gets the events of ngx_http_callcenter_sse_local(),
 * each written once to each of its streams (those whose last id is below
 * the event's).
 */

typedef struct {
    ngx_str_t                   event;
    ngx_str_t                   data;
} ngx_http_callcenter_event_t;

typedef struct {
    ngx_str_t                   channel;     /* stream key = pub/sub channel */
    ngx_str_t                   last_id;     /* "0-0": the whole stream */
    ngx_str_t                   snapshot_id;
    ngx_array_t                *snapshot;    /* ngx_http_callcenter_event_t */
    ngx_uint_t                  party;       /* NGX_HTTP_CALLCENTER_AGENT,
                                              * _CALLER or _STATUS */
    ngx_str_t                   present;     /* agent id or call id */
    ngx_str_t                   conn_id;
    unsigned                    local:1;
} ngx_http_callcenter_stream_conf_t;

void ngx_http_callcenter_sse_start(ngx_http_request_t *r,
    ngx_http_callcenter_stream_conf_t *scf);
void ngx_http_callcenter_sse_local(ngx_str_t *channel, ngx_str_t *id,
    ngx_str_t *event, ngx_str_t *data);
/* whether the worker has streams on the local channel */
ngx_uint_t ngx_http_callcenter_sse_local_streams(ngx_str_t *channel);

/*
 * Presence (ngx_http_callcenter_presence.c): the worker keeps the
 * connections of its streams present, one FCALL a heartbeat for all those
 * of a party with the same settings (cc_agent_presence,
 * cc_caller_presence); _close() sends the connection's close at once
 * (cc_agent_close, cc_caller_close).  _ttl(): the ms a connection counts as
 * present without news, what the stream's open registers it for.
 */

typedef struct {
    ngx_queue_t                 queue;
    ngx_str_t                   id;          /* agent id or call id */
    ngx_str_t                   conn;        /* its connection id */
    void                       *group;       /* NULL: not kept present */
} ngx_http_callcenter_presence_t;

ngx_int_t ngx_http_callcenter_presence_add(ngx_http_callcenter_presence_t *p,
    ngx_http_callcenter_loc_conf_t *lcf, ngx_uint_t party);
void ngx_http_callcenter_presence_close(ngx_http_callcenter_presence_t *p);
/* every group's refresh now: the links came back (before the catch-ups) */
void ngx_http_callcenter_presence_now(void);
/* a library before this module's may be called (FUNCTION LIST, each s) */
ngx_uint_t ngx_http_callcenter_sse_old_library(void);
/* the library registered p's connection again: its stream catches up */
void ngx_http_callcenter_sse_presence_lost(ngx_http_callcenter_presence_t *p);
ngx_msec_t ngx_http_callcenter_presence_ttl(
    ngx_http_callcenter_loc_conf_t *lcf, ngx_uint_t party);

/*
 * Before the FCALL that opens a stream of party (NGX_HTTP_CALLCENTER_AGENT
 * or _CALLER), every check that needs no Redis: the Last-Event-ID into
 * ctx->last_id (400 when malformed), the stream counted against
 * callcenter_streams_per_address (429; a per-worker table, the count held
 * until r's pool goes); then a new connection id into ctx->conn_id, and in
 * ttl the ms the connection counts as present.  NGX_OK, or NGX_DECLINED
 * when refused: *rc is then what the content handler returns.  Party
 * NGX_HTTP_CALLCENTER_STATUS: the count only (no Last-Event-ID, ttl NULL).
 */
ngx_int_t ngx_http_callcenter_sse_conn(ngx_http_request_t *r,
    ngx_uint_t party, ngx_str_t *ttl, ngx_int_t *rc);

/* between the redis and sse files: declared here by their author */

/*
 * A started stream takes its own r->main->count reference.  From then on
 * the module ctx of r is the stream's, which begins with a copy of the
 * request's ngx_http_callcenter_ctx_t.
 */

/*
 * (UN)SUBSCRIBE channel on the subscriber link: NGX_OK sent, NGX_DECLINED
 * the link is not up (ngx_http_callcenter_sse_subscriber_up() follows when
 * it is).
 */
ngx_int_t ngx_http_callcenter_redis_subscribe(ngx_str_t *channel,
    ngx_uint_t on);

/*
 * The worker's tag (its caller streams' connections are "TAG.N") and its
 * channel, subscribed with the link: the library publishes there a caller
 * stream's events as "KEY MESSAGE", handed on as MESSAGE of channel KEY.
 */
extern ngx_str_t  ngx_http_callcenter_redis_tag;
extern ngx_str_t  ngx_http_callcenter_redis_worker;

/* what the redis file tells the sse file */
void ngx_http_callcenter_sse_commands_up(void);     /* command link ready */
void ngx_http_callcenter_sse_subscriber_up(void);   /* subscribe again */
void ngx_http_callcenter_sse_subscriber_down(void); /* nothing subscribed */
void ngx_http_callcenter_sse_subscribed(ngx_str_t *channel, ngx_uint_t on);
void ngx_http_callcenter_sse_message(ngx_str_t *channel, ngx_str_t *payload);
void ngx_http_callcenter_sse_exit_process(void);    /* the worker exits */


/*
 * The module's own figures (ngx_http_callcenter_metrics.c), in a shared
 * memory zone added at configuration: refusals by reason (every error
 * answer goes through ngx_http_callcenter_metrics_refused()), streams and
 * Redis links by worker.  _append() adds them to a Prometheus text.
 */

ngx_int_t ngx_http_callcenter_metrics_add_zone(ngx_conf_t *cf);
void ngx_http_callcenter_metrics_init_process(ngx_cycle_t *cycle);
void ngx_http_callcenter_metrics_exit_process(void);
void ngx_http_callcenter_metrics_refused(ngx_uint_t status,
    const char *message);
/* party: NGX_HTTP_CALLCENTER_CALLER, _AGENT or _STATUS; delta +1 or -1 */
void ngx_http_callcenter_metrics_stream(ngx_uint_t party, ngx_int_t delta);
void ngx_http_callcenter_metrics_link(ngx_uint_t subscriber, ngx_uint_t up);
/* text: replaced by a copy in r's pool with the module's figures after */
ngx_int_t ngx_http_callcenter_metrics_append(ngx_http_request_t *r,
    ngx_str_t *text);


/*
 * The status mirror (ngx_http_callcenter_status_mirror.c): the worker's
 * copy of the library's status records, kept by cc_status json delta.
 * _args() fills 4 args of that FCALL and returns the mirror's generation,
 * which _apply() takes with the reply: NGX_OK applied (_render() answers);
 * NGX_DECLINED not a full nor delta reply (an error, an older library's
 * text, NULL); NGX_AGAIN a delta it cannot take: ask again; NGX_ERROR
 * malformed or too large.  _render() writes at most _size() bytes.
 */

ngx_uint_t ngx_http_callcenter_status_mirror_args(ngx_str_t *args);
ngx_int_t ngx_http_callcenter_status_mirror_apply(redisReply *reply,
    ngx_uint_t gen);
size_t ngx_http_callcenter_status_mirror_size(void);
u_char *ngx_http_callcenter_status_mirror_render(u_char *p);
void ngx_http_callcenter_status_mirror_free(void);
/* the worker exits: the feed's last answer and the mirror freed */
void ngx_http_callcenter_status_exit_process(void);


/* JSON answers (ngx_http_callcenter_module.c); the data is copied, but
 * by send_pooled, whose data lives in r's pool (an answer made there) */

ngx_int_t ngx_http_callcenter_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *data, size_t len);
ngx_int_t ngx_http_callcenter_send_pooled(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, u_char *data, size_t len);
ngx_int_t ngx_http_callcenter_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *json, size_t len);
/* 405 with Allow: allow */
ngx_int_t ngx_http_callcenter_send_not_allowed(ngx_http_request_t *r,
    const char *allow);
ngx_int_t ngx_http_callcenter_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
void ngx_http_callcenter_finalize_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
/* maps a Redis error reply (BADREQ/FORBIDDEN/NOTFOUND/CONFLICT/TOOMANY)
 * or NULL */
void ngx_http_callcenter_finalize_reply_error(ngx_http_request_t *r,
    redisReply *reply);


/*
 * The API requests (ngx_http_callcenter_module.c dispatches by location
 * type to the caller, agent and status files).  path: the URI after the
 * location's name and its slash, empty for the location itself.
 */

typedef void (*ngx_http_callcenter_body_pt)(ngx_http_request_t *r,
    ngx_str_t *body);

typedef struct {
    ngx_str_t                   call;        /* call id of the path */
    ngx_str_t                   agent;       /* agent id */
    ngx_str_t                   token;       /* the call's token */
    ngx_str_t                   queue;
    ngx_str_t                   status;      /* answered on success */
    ngx_str_t                   conn_id;     /* event stream */
    ngx_str_t                   last_id;     /* Last-Event-ID */
    ngx_uint_t                  redirect;    /* GET /call: 303 */
    ngx_str_t                   visitor;     /* a new visitor cookie */
    u_char                     *body;        /* body_len <= body_size */
    size_t                      body_len;
    size_t                      body_size;   /* allocated, <= body_max */
    size_t                      body_max;
    ngx_http_callcenter_body_pt body_handler;
    ngx_uint_t                  mirror;      /* status: the generation of
                                              * the mirror asked from */
    unsigned                    in_handler:1;
    unsigned                    asked_again:1;   /* status: with no mirror */
    unsigned                    too_large:1;
} ngx_http_callcenter_ctx_t;

ngx_int_t ngx_http_callcenter_caller_handler(ngx_http_request_t *r,
    ngx_str_t *path);
ngx_int_t ngx_http_callcenter_agent_handler(ngx_http_request_t *r,
    ngx_str_t *path);
ngx_int_t ngx_http_callcenter_status_handler(ngx_http_request_t *r,
    ngx_str_t *path);

ngx_http_callcenter_ctx_t *ngx_http_callcenter_get_ctx(ngx_http_request_t *r);
/* splits path at '/' into at most n segments, returns n + 1 if more */
ngx_uint_t ngx_http_callcenter_split(ngx_str_t *path, ngx_str_t *seg,
    ngx_uint_t n);
/* reads a body of at most max bytes (JSON 413 otherwise), then runs
 * handler; returns what the content handler returns */
ngx_int_t ngx_http_callcenter_read_body(ngx_http_request_t *r, size_t max,
    ngx_http_callcenter_body_pt handler);
/* a request's FCALL: NGX_DONE (the handler finalizes r) or, when it
 * cannot be sent, the rc of the answer given (503 when Redis is away) */
ngx_int_t ngx_http_callcenter_fcall(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, const char *fn, ngx_uint_t n,
    ngx_str_t *args);
/* cc_call_create's 8 arguments for r, sent with the other new calls of
 * the event loop's turn (ngx_http_callcenter_intake.c); returns as
 * ngx_http_callcenter_fcall does */
ngx_int_t ngx_http_callcenter_intake(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, ngx_str_t *args);
/* the URL-decoded query argument, NGX_DECLINED if absent */
ngx_int_t ngx_http_callcenter_arg(ngx_http_request_t *r, char *name,
    ngx_str_t *value);
ngx_table_elt_t *ngx_http_callcenter_header(ngx_http_request_t *r,
    char *name);
/* the kind argument of cc_caller_message and cc_agent_message for a
 * normalized message: "live" (typing, never kept) or "keep" */
void ngx_http_callcenter_message_kind(const char *msg, ngx_str_t *kind);
/* a reply holding an event id: 202 {"id": ID} */
void ngx_http_callcenter_message_reply(ngx_http_request_t *r,
    redisReply *reply);
/* the Last-Event-ID header or ?last_event_id=: NGX_OK (maybe empty),
 * NGX_DECLINED when malformed */
ngx_int_t ngx_http_callcenter_last_id(ngx_http_request_t *r,
    ngx_str_t *last_id);
/* n random bytes, base64url without padding */
ngx_int_t ngx_http_callcenter_random(ngx_http_request_t *r, size_t n,
    ngx_str_t *out);


extern ngx_module_t  ngx_http_callcenter_module;


#endif /* _NGX_HTTP_CALLCENTER_H_INCLUDED_ */
