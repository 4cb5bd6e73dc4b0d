
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


/* what a location serves */
#define NGX_HTTP_CALLCENTER_NONE    0
#define NGX_HTTP_CALLCENTER_CALLER  1
#define NGX_HTTP_CALLCENTER_AGENT   2
#define NGX_HTTP_CALLCENTER_STATUS  3


typedef struct {
    ngx_str_t                   host;        /* empty with a unix socket */
    in_port_t                   port;
    ngx_str_t                   unix_path;   /* null-terminated */
    ngx_str_t                   password;
    ngx_int_t                   db;
} ngx_http_callcenter_redis_addr_t;


typedef struct {
    ngx_http_callcenter_redis_addr_t  redis;     /* set: redis.port != 0 or
                                                  * unix_path.len != 0 */
    ngx_msec_t                  redis_timeout;   /* connect and command */
} ngx_http_callcenter_main_conf_t;


typedef struct {
    ngx_uint_t                  type;            /* NGX_HTTP_CALLCENTER_* */
    ngx_http_complex_value_t   *agent;           /* callcenter_agent value */
    ngx_msec_t                  heartbeat;       /* callcenter_heartbeat */
    ngx_msec_t                  presence_grace;  /* agent stream gone */
    size_t                      body_max;        /* POST /call body */
    size_t                      message_max;     /* message bodies */
    size_t                      stream_buffer;   /* unsent SSE output */
    ngx_str_t                   caller_page;     /* 303 target of GET /call */
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
 * exits.  For an agent stream (agent.len != 0) the worker keeps the
 * connection conn_id present (cc_agent_presence) and closes it on the way
 * out (cc_agent_close).  All strings are copied.
 * Returns NGX_DONE (the request is the stream's now) or an HTTP status.
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
    ngx_str_t                   agent;
    ngx_str_t                   conn_id;
} ngx_http_callcenter_stream_conf_t;

ngx_int_t ngx_http_callcenter_sse_start(ngx_http_request_t *r,
    ngx_http_callcenter_stream_conf_t *scf);

/* between the redis and sse files: declared here by their author */


/* JSON answers (ngx_http_callcenter_module.c) */

ngx_int_t ngx_http_callcenter_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *json, size_t len);
ngx_int_t ngx_http_callcenter_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
void ngx_http_callcenter_finalize_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
/* maps a Redis error reply (BADREQ/FORBIDDEN/NOTFOUND/CONFLICT) or NULL */
void ngx_http_callcenter_finalize_reply_error(ngx_http_request_t *r,
    redisReply *reply);


extern ngx_module_t  ngx_http_callcenter_module;


#endif /* _NGX_HTTP_CALLCENTER_H_INCLUDED_ */
