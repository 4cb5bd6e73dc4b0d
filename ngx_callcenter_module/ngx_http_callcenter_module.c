
/*
 * callcenter: directives, configuration, the content handler and the
 * helpers every API request uses (JSON answers, bodies, FCALLs).
 */


#include <sys/random.h>

#include "ngx_http_callcenter.h"
#include "cc_keys.h"
#include "cc_validate.h"
#include "cc_sse.h"


/* a chunked body's first allocation, doubled as it grows */
#define NGX_HTTP_CALLCENTER_BODY_CHUNK  1024


static ngx_int_t ngx_http_callcenter_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_callcenter_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_callcenter_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_callcenter_body_grow(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx, size_t size);
static void ngx_http_callcenter_too_large(ngx_http_request_t *r);

static ngx_int_t ngx_http_callcenter_resolve(ngx_conf_t *cf,
    cc_redis_endpoint_t *e, const char *what);
static char *ngx_http_callcenter_site(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_callcenter_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_callcenter_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_callcenter_message_rate(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_callcenter_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_callcenter_msec_bounds(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_callcenter_size_bounds(ngx_conf_t *cf, void *post,
    void *data);

static ngx_int_t ngx_http_callcenter_init(ngx_conf_t *cf);
static void *ngx_http_callcenter_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_callcenter_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_callcenter_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_callcenter_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_callcenter_init_process(ngx_cycle_t *cycle);
static void ngx_http_callcenter_exit_process(ngx_cycle_t *cycle);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;


static ngx_conf_num_bounds_t  ngx_http_callcenter_heartbeat_bounds = {
    ngx_http_callcenter_msec_bounds, 1000, 3600000
};

static ngx_conf_num_bounds_t  ngx_http_callcenter_grace_bounds = {
    ngx_http_callcenter_msec_bounds, 0, 3600000
};

static ngx_conf_num_bounds_t  ngx_http_callcenter_body_bounds = {
    ngx_http_callcenter_size_bounds, 64, 16 * 1024 * 1024
};

static ngx_conf_num_bounds_t  ngx_http_callcenter_buffer_bounds = {
    ngx_http_callcenter_size_bounds, 4096, 1024 * 1024 * 1024
};

/* 0: no budget */
static ngx_conf_num_bounds_t  ngx_http_callcenter_budget_bounds = {
    ngx_http_callcenter_size_bounds, 0, 1024 * 1024 * 1024
};


static ngx_command_t  ngx_http_callcenter_commands[] = {

    { ngx_string("callcenter_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_callcenter_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("callcenter_site"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_callcenter_site,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("callcenter_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_callcenter_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("callcenter_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_callcenter_main_conf_t, redis_wait),
      NULL },

    { ngx_string("callcenter_caller"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_callcenter_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_CALLCENTER_CALLER,
      NULL },

    { ngx_string("callcenter_agent"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_callcenter_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_CALLCENTER_AGENT,
      NULL },

    { ngx_string("callcenter_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_callcenter_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_CALLCENTER_STATUS,
      NULL },

    { ngx_string("callcenter_heartbeat"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, heartbeat),
      &ngx_http_callcenter_heartbeat_bounds },

    { ngx_string("callcenter_presence_grace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, presence_grace),
      &ngx_http_callcenter_grace_bounds },

    { ngx_string("callcenter_caller_grace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, caller_grace),
      &ngx_http_callcenter_grace_bounds },

    { ngx_string("callcenter_body_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, body_max),
      &ngx_http_callcenter_body_bounds },

    { ngx_string("callcenter_message_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, message_max),
      &ngx_http_callcenter_body_bounds },

    { ngx_string("callcenter_stream_buffer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, stream_buffer),
      &ngx_http_callcenter_buffer_bounds },

    { ngx_string("callcenter_streams_per_call"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, streams_per_call),
      NULL },

    { ngx_string("callcenter_streams_per_address"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, streams_per_address),
      NULL },

    { ngx_string("callcenter_message_rate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_callcenter_message_rate,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("callcenter_call_budget"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, call_budget),
      &ngx_http_callcenter_budget_bounds },

    { ngx_string("callcenter_agent_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_callcenter_origins,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("callcenter_caller_page"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, caller_page),
      NULL },

    { ngx_string("callcenter_priority"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, priority),
      NULL },

    { ngx_string("callcenter_customer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_callcenter_loc_conf_t, customer),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_callcenter_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_callcenter_init,              /* postconfiguration */

    ngx_http_callcenter_create_main_conf,  /* create main configuration */
    ngx_http_callcenter_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_callcenter_create_loc_conf,   /* create location configuration */
    ngx_http_callcenter_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_callcenter_module = {
    NGX_MODULE_V1,
    &ngx_http_callcenter_module_ctx,       /* module context */
    ngx_http_callcenter_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_callcenter_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_callcenter_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_callcenter_handler(ngx_http_request_t *r)
{
    ngx_str_t                        path;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_callcenter_loc_conf_t  *cclf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (r->uri.len < clcf->name.len
        || ngx_strncmp(r->uri.data, clcf->name.data, clcf->name.len) != 0)
    {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    path.data = r->uri.data + clcf->name.len;
    path.len = r->uri.len - clcf->name.len;

    /* "/call" serves "/call" and "/call/...", not "/callx" */

    if (path.len && clcf->name.data[clcf->name.len - 1] != '/') {
        if (path.data[0] != '/' || path.len == 1) {
            return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                                  "not found");
        }

        path.data++;
        path.len--;
    }

    switch (cclf->type) {

    case NGX_HTTP_CALLCENTER_CALLER:
        return ngx_http_callcenter_caller_handler(r, &path);

    case NGX_HTTP_CALLCENTER_AGENT:
        return ngx_http_callcenter_agent_handler(r, &path);

    default: /* NGX_HTTP_CALLCENTER_STATUS */
        return ngx_http_callcenter_status_handler(r, &path);
    }
}


ngx_http_callcenter_ctx_t *
ngx_http_callcenter_get_ctx(ngx_http_request_t *r)
{
    ngx_http_callcenter_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_callcenter_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_callcenter_module);
    }

    return ctx;
}


ngx_uint_t
ngx_http_callcenter_split(ngx_str_t *path, ngx_str_t *seg, ngx_uint_t n)
{
    u_char      *p, *last, *slash;
    ngx_uint_t   i;

    p = path->data;
    last = p + path->len;

    for (i = 0; i < n; i++) {
        slash = ngx_strlchr(p, last, '/');

        seg[i].data = p;
        seg[i].len = (slash ? slash : last) - p;

        if (slash == NULL) {
            return i + 1;
        }

        p = slash + 1;
    }

    return n + 1;
}


ngx_int_t
ngx_http_callcenter_read_body(ngx_http_request_t *r, size_t max,
    ngx_http_callcenter_body_pt handler)
{
    ngx_int_t                   rc;
    ngx_http_callcenter_ctx_t  *ctx;

    if (r->headers_in.content_length_n > (off_t) max) {
        return ngx_http_callcenter_send_error(r,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "body too large");
    }

    ctx = ngx_http_callcenter_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body_max = max;
    ctx->body_handler = handler;
    ctx->in_handler = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_callcenter_body_done);

    ctx->in_handler = 0;

    if (ctx->too_large) {
        return ngx_http_callcenter_send_error(r,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "body too large");
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * Keeps a copy of the body of our requests, at most ctx->body_max bytes:
 * a body that grows past it is answered 413 at once, and nothing more of
 * it is kept (the rest goes to lingering close).  The copy takes what the
 * Content-Length announces, or grows with a chunked body.
 */

static ngx_int_t
ngx_http_callcenter_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                      size;
    ngx_chain_t                *cl;
    ngx_http_callcenter_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    if (ctx == NULL || ctx->body_handler == NULL) {
        return ngx_http_next_request_body_filter(r, in);
    }

    if (ctx->too_large) {
        return NGX_ERROR;
    }

    for (cl = in; cl; cl = cl->next) {
        size = cl->buf->last - cl->buf->pos;

        if (size == 0) {
            continue;
        }

        if (size > ctx->body_max - ctx->body_len) {
            ctx->too_large = 1;
            r->keepalive = 0;
            r->lingering_close = 1;
            r->read_event_handler = ngx_http_block_reading;

            if (ctx->in_handler) {
                return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
            }

            /* answered by a posted request: we are inside body reading */

            r->write_event_handler = ngx_http_callcenter_too_large;

            if (ngx_http_post_request(r, NULL) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return NGX_ERROR;
        }

        if (size > ctx->body_size - ctx->body_len
            && ngx_http_callcenter_body_grow(r, ctx, size) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(ctx->body + ctx->body_len, cl->buf->pos, size);
        ctx->body_len += size;
    }

    return ngx_http_next_request_body_filter(r, in);
}


/* room for size more bytes: body_len + size <= body_max */

static ngx_int_t
ngx_http_callcenter_body_grow(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx, size_t size)
{
    u_char  *body;
    size_t   n;

    if (ctx->body == NULL && r->headers_in.content_length_n > 0) {
        n = (size_t) r->headers_in.content_length_n;

    } else {
        n = ngx_max(2 * ctx->body_size, NGX_HTTP_CALLCENTER_BODY_CHUNK);
    }

    n = ngx_min(ngx_max(n, ctx->body_len + size), ctx->body_max);

    body = ngx_pnalloc(r->pool, n);
    if (body == NULL) {
        return NGX_ERROR;
    }

    if (ctx->body != NULL) {
        ngx_memcpy(body, ctx->body, ctx->body_len);
        ngx_pfree(r->pool, ctx->body);
    }

    ctx->body = body;
    ctx->body_size = n;

    return NGX_OK;
}


static void
ngx_http_callcenter_too_large(ngx_http_request_t *r)
{
    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_callcenter_finalize_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "body too large");
}


static void
ngx_http_callcenter_body_done(ngx_http_request_t *r)
{
    ngx_str_t                   body;
    ngx_http_callcenter_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    if (ctx->too_large) {
        return;
    }

    body.data = ctx->body;
    body.len = ctx->body_len;

    ctx->body_handler(r, &body);
}


ngx_int_t
ngx_http_callcenter_fcall(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, const char *fn, ngx_uint_t n,
    ngx_str_t *args)
{
    ngx_int_t  rc;

    rc = ngx_http_callcenter_redis_fcall(r, handler, fn, n, args);

    if (rc == NGX_OK) {
        r->main->count++;
        return NGX_DONE;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_callcenter_send_error(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              "redis unavailable");
    }

    return ngx_http_callcenter_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "internal error");
}


ngx_int_t
ngx_http_callcenter_arg(ngx_http_request_t *r, char *name, ngx_str_t *value)
{
    u_char     *p, *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, raw.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, raw.data, raw.len);

    for (dst = p; dst < p + raw.len; dst++) {
        if (*dst == '+') {
            *dst = ' ';
        }
    }

    src = p;
    dst = p;
    ngx_unescape_uri(&dst, &src, raw.len, 0);
    *dst = '\0';

    value->data = p;
    value->len = dst - p;

    return NGX_OK;
}


ngx_table_elt_t *
ngx_http_callcenter_header(ngx_http_request_t *r, char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


ngx_int_t
ngx_http_callcenter_last_id(ngx_http_request_t *r, ngx_str_t *last_id)
{
    ngx_table_elt_t  *h;

    h = ngx_http_callcenter_header(r, "Last-Event-ID");

    if (h != NULL) {
        *last_id = h->value;

    } else if (ngx_http_callcenter_arg(r, "last_event_id", last_id)
               != NGX_OK)
    {
        ngx_str_null(last_id);
        return NGX_OK;
    }

    if (!cc_valid_event_id((char *) last_id->data, last_id->len)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


void
ngx_http_callcenter_message_kind(const char *msg, ngx_str_t *kind)
{
    if (cc_message_live(msg)) {
        ngx_str_set(kind, "live");

    } else {
        ngx_str_set(kind, "keep");
    }
}


void
ngx_http_callcenter_message_reply(ngx_http_request_t *r, redisReply *reply)
{
    u_char  *p, json[sizeof("{\"id\":\"\"}") + CC_SSE_ID_MAX];

    if (reply == NULL || reply->type != REDIS_REPLY_STRING
        || !cc_valid_event_id(reply->str, reply->len))
    {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    p = ngx_sprintf(json, "{\"id\":\"%*s\"}", reply->len, reply->str);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_json(r, NGX_HTTP_ACCEPTED, json,
                                           p - json));
}


/*
 * Random bytes come from a pool of this process, filled by one getrandom()
 * a NGX_HTTP_CALLCENTER_RANDOM_POOL bytes (256: the most it answers whole,
 * never cut short by a signal): a POST /call takes 40 (its id, its token),
 * and its two getrandom() were 4% of a worker's time under load.  Bytes
 * handed out are wiped; a pool another process filled (the master, before
 * a fork) is never used: each process fills its own.
 */

#define NGX_HTTP_CALLCENTER_RANDOM_POOL  256

static u_char      ngx_http_callcenter_random_pool[
                        NGX_HTTP_CALLCENTER_RANDOM_POOL];
static size_t      ngx_http_callcenter_random_left;
static ngx_pid_t   ngx_http_callcenter_random_pid;


ngx_int_t
ngx_http_callcenter_random(ngx_http_request_t *r, size_t n, ngx_str_t *out)
{
    u_char     *bytes;
    ngx_str_t   src;

    if (n > 64) {
        return NGX_ERROR;
    }

    if (ngx_http_callcenter_random_pid != ngx_pid
        || ngx_http_callcenter_random_left < n)
    {
        if (getrandom(ngx_http_callcenter_random_pool,
                      NGX_HTTP_CALLCENTER_RANDOM_POOL, 0)
            != (ssize_t) NGX_HTTP_CALLCENTER_RANDOM_POOL)
        {
            ngx_http_callcenter_random_left = 0;
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                          "callcenter: getrandom() failed");
            return NGX_ERROR;
        }

        ngx_http_callcenter_random_pid = ngx_pid;
        ngx_http_callcenter_random_left = NGX_HTTP_CALLCENTER_RANDOM_POOL;
    }

    out->data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(n) + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_callcenter_random_left -= n;
    bytes = ngx_http_callcenter_random_pool + ngx_http_callcenter_random_left;

    src.data = bytes;
    src.len = n;

    ngx_encode_base64url(out, &src);
    out->data[out->len] = '\0';

    ngx_explicit_memzero(bytes, n);

    return NGX_OK;
}


ngx_int_t
ngx_http_callcenter_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *data, size_t len)
{
    u_char  *copy;

    /* data may be the caller's stack: the answer may go out later */
    copy = ngx_pnalloc(r->pool, len ? len : 1);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy, data, len);

    return ngx_http_callcenter_send_pooled(r, status, type, copy, len);
}


ngx_int_t
ngx_http_callcenter_send_pooled(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *data, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_callcenter_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *json, size_t len)
{
    static ngx_str_t  type = ngx_string("application/json");

    return ngx_http_callcenter_send(r, status, &type, json, len);
}


ngx_int_t
ngx_http_callcenter_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    u_char  *json, *p;
    size_t   len;

    /* no "100 Continue": an answer refused needs no body */
    r->expect_tested = 1;

    ngx_http_callcenter_metrics_refused(status, message);

    len = ngx_strlen(message);

    json = ngx_pnalloc(r->pool, sizeof("{\"error\":\"\"}") - 1 + len
                       + ngx_escape_json(NULL, (u_char *) message, len));
    if (json == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(json, "{\"error\":\"", sizeof("{\"error\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, (u_char *) message, len);
    p = ngx_cpymem(p, "\"}", 2);

    return ngx_http_callcenter_send_json(r, status, json, p - json);
}


ngx_int_t
ngx_http_callcenter_send_not_allowed(ngx_http_request_t *r,
    const char *allow)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) allow;
    h->value.len = ngx_strlen(allow);

    return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                          "method not allowed");
}


void
ngx_http_callcenter_finalize_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_http_finalize_request(r,
                          ngx_http_callcenter_send_error(r, status, message));
}


static const char *
ngx_http_callcenter_status_text(ngx_uint_t status)
{
    switch (status) {

    case NGX_HTTP_BAD_REQUEST:
        return "bad request";

    case NGX_HTTP_FORBIDDEN:
        return "forbidden";

    case NGX_HTTP_NOT_FOUND:
        return "not found";

    case NGX_HTTP_TOO_MANY_REQUESTS:
        return "too many requests";

    default:
        return "conflict";
    }
}


void
ngx_http_callcenter_finalize_reply_error(ngx_http_request_t *r,
    redisReply *reply)
{
    char        *message;
    size_t       n;
    ngx_uint_t   i, status;

    static struct {
        const char  *word;
        ngx_uint_t   status;
    } errors[] = {
        { "BADREQ", NGX_HTTP_BAD_REQUEST },
        { "FORBIDDEN", NGX_HTTP_FORBIDDEN },
        { "NOTFOUND", NGX_HTTP_NOT_FOUND },
        { "CONFLICT", NGX_HTTP_CONFLICT },
        { "TOOMANY", NGX_HTTP_TOO_MANY_REQUESTS }
    };

    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {

        for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
            n = ngx_strlen(errors[i].word);

            if (reply->len < n
                || ngx_strncmp(reply->str, errors[i].word, n) != 0
                || (reply->len > n && reply->str[n] != ' '))
            {
                continue;
            }

            status = errors[i].status;
            message = reply->str + n;

            while (*message == ' ') {
                message++;
            }

            if (*message == '\0') {
                message = (char *) ngx_http_callcenter_status_text(status);
            }

            ngx_http_callcenter_finalize_error(r, status, message);
            return;
        }

        /* the cycle's log: a request's names its line, token and all */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "callcenter: redis error \"%s\"", reply->str);
    }

    ngx_http_callcenter_finalize_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "redis unavailable");
}


/* callcenter_site NAME: the site's keys are "cc:{NAME}:..." (cc_keys.h) */

static char *
ngx_http_callcenter_site(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_callcenter_main_conf_t  *ccmf = conf;

    ngx_str_t  *value;

    if (ccmf->site_key.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!cc_valid_site((char *) value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid site \"%V\": want [a-z0-9_-]{1,%d}",
                           &value[1], CC_SITE_MAX);
        return NGX_CONF_ERROR;
    }

    ccmf->site_key.len = sizeof("cc:{}") - 1 + value[1].len;
    ccmf->site_key.data = ngx_pnalloc(cf->pool, ccmf->site_key.len);
    if (ccmf->site_key.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(ccmf->site_key.data, "cc:{%V}", &value[1]);

    return NGX_CONF_OK;
}


static char *
ngx_http_callcenter_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_callcenter_main_conf_t  *ccmf = conf;

    ngx_str_t        *value;
    ngx_uint_t        i;
    const char       *err;
    cc_redis_addr_t  *ra;

    if (ccmf->redis != NULL) {
        return "is duplicate";
    }

    ra = ngx_palloc(cf->pool, sizeof(cc_redis_addr_t));
    if (ra == NULL) {
        return NGX_CONF_ERROR;
    }

    cc_redis_addr_init(ra);

    /* the grammar of common/cc_redis_addr.h, shared with the router */

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (i == 1 && ngx_strncmp(value[i].data, "sentinel=", 9) != 0) {
            err = cc_redis_addr_parse(ra, (char *) value[i].data,
                                      value[i].len);

        } else {
            err = cc_redis_addr_param(ra, (char *) value[i].data,
                                      value[i].len);
        }

        if (err != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis parameter \"%V\": %s",
                               &value[i], err);
            return NGX_CONF_ERROR;
        }
    }

    err = cc_redis_addr_check(ra);
    if (err != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis: %s", err);
        return NGX_CONF_ERROR;
    }

    if (ra->given & CC_REDIS_GIVEN_SENTINEL) {
        for (i = 0; i < (ngx_uint_t) ra->nsentinels; i++) {
            if (ngx_http_callcenter_resolve(cf, &ra->sentinels[i],
                                            "sentinel")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }
        }

    } else if (ra->unix_path[0] == '\0'
               && ngx_http_callcenter_resolve(cf, &ra->tcp, "redis")
                  != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    ccmf->redis = ra;

    return NGX_CONF_OK;
}


/*
 * A host is resolved here, once (again on reload): workers connect to its
 * numeric text and never wait on DNS when they reconnect.  IPv4 first,
 * the order hiredis would try.
 */

static ngx_int_t
ngx_http_callcenter_resolve(ngx_conf_t *cf, cc_redis_endpoint_t *e,
    const char *what)
{
    size_t      len;
    ngx_url_t   u;
    ngx_uint_t  i, best;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.host.data = (u_char *) e->host;
    u.host.len = ngx_strlen(e->host);
    u.port = (in_port_t) e->port;

    if (ngx_inet_resolve_host(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s host \"%s\": %s", what, e->host,
                           u.err ? u.err : "not found");
        return NGX_ERROR;
    }

    best = 0;

    for (i = u.naddrs; i > 0; i--) {
        if (u.addrs[i - 1].sockaddr->sa_family == AF_INET) {
            best = i - 1;
        }
    }

    len = ngx_sock_ntop(u.addrs[best].sockaddr, u.addrs[best].socklen,
                        (u_char *) e->host, CC_REDIS_HOST_MAX, 0);
    e->host[len] = '\0';

    return NGX_OK;
}


static char *
ngx_http_callcenter_location(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_callcenter_loc_conf_t  *cclf = conf;

    ngx_str_t                          *value;
    ngx_http_core_loc_conf_t           *clcf;
    ngx_http_callcenter_main_conf_t    *ccmf;
    ngx_http_compile_complex_value_t    ccv;

    if (cclf->type != NGX_HTTP_CALLCENTER_NONE) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->named
#if (NGX_PCRE)
        || clcf->regex
#endif
        )
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a prefix or exact location",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    cclf->type = cmd->offset;

    if (cclf->type == NGX_HTTP_CALLCENTER_AGENT) {
        value = cf->args->elts;

        cclf->agent = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (cclf->agent == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = cclf->agent;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    clcf->handler = ngx_http_callcenter_handler;

    /* bodies of any size reach us: the limits and their JSON 413 are ours */
    clcf->client_max_body_size = 0;

    ccmf = ngx_http_conf_get_module_main_conf(cf, ngx_http_callcenter_module);
    ccmf->locations++;

    return NGX_CONF_OK;
}


/*
 * callcenter_message_rate RATE [burst=N] | off: RATE as limit_req's, 10r/s;
 * off (rate 0) sends no limit
 */

static char *
ngx_http_callcenter_message_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_callcenter_loc_conf_t  *cclf = conf;

    ngx_int_t   rate, scale, burst;
    ngx_str_t  *value;

    if (cclf->message_rate != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        cclf->message_rate = 0;
        cclf->message_burst = 0;
        return NGX_CONF_OK;
    }

    rate = NGX_ERROR;
    scale = 1;

    if (value[1].len > 3) {
        if (ngx_strncmp(value[1].data + value[1].len - 3, "r/m", 3) == 0) {
            scale = 60;

        } else if (ngx_strncmp(value[1].data + value[1].len - 3, "r/s", 3)
                   != 0)
        {
            scale = 0;
        }

        if (scale) {
            rate = ngx_atoi(value[1].data, value[1].len - 3);
        }
    }

    /* at least 1r/m, at most 100000r/s */

    if (rate <= 0 || rate > 100000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rate \"%V\", want 1r/m .. 100000r/s",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    burst = 20;

    if (cf->args->nelts == 3) {
        if (value[2].len > 6 && ngx_strncmp(value[2].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[2].data + 6, value[2].len - 6);

        } else {
            burst = NGX_ERROR;
        }

        if (burst < 1 || burst > 100000) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", want burst=N "
                               "(1 .. 100000)", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    cclf->message_rate = rate * 1000 / scale;
    cclf->message_burst = burst;

    return NGX_CONF_OK;
}


/* callcenter_agent_origins ORIGIN ...: where else agents' pages may be */

static char *
ngx_http_callcenter_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_callcenter_loc_conf_t  *cclf = conf;

    u_char      buf[CC_ORIGIN_MAX + 1];
    size_t      n;
    ngx_str_t  *value, *origin;
    ngx_uint_t  i;

    if (cclf->agent_origins == NGX_CONF_UNSET_PTR) {
        cclf->agent_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                               sizeof(ngx_str_t));
        if (cclf->agent_origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        n = cc_origin_normalize((char *) value[i].data, value[i].len,
                                (char *) buf);
        if (n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\", want "
                               "http[s]://host[:port]", &value[i]);
            return NGX_CONF_ERROR;
        }

        origin = ngx_array_push(cclf->agent_origins);
        if (origin == NULL) {
            return NGX_CONF_ERROR;
        }

        origin->data = ngx_pnalloc(cf->pool, n);
        if (origin->data == NULL) {
            return NGX_CONF_ERROR;
        }

        origin->len = n;
        ngx_memcpy(origin->data, buf, n);
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_callcenter_msec_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_conf_num_bounds_t  *bounds = post;
    ngx_msec_t             *msp = data;

    if (*msp < (ngx_msec_t) bounds->low || *msp > (ngx_msec_t) bounds->high) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "value must be between %ims and %ims",
                           bounds->low, bounds->high);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_callcenter_size_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_conf_num_bounds_t  *bounds = post;
    size_t                 *sp = data;

    if (*sp < (size_t) bounds->low || *sp > (size_t) bounds->high) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "value must be between %i and %i bytes",
                           bounds->low, bounds->high);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_callcenter_init(ngx_conf_t *cf)
{
    ngx_http_callcenter_main_conf_t  *ccmf;

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_callcenter_body_filter;

    ccmf = ngx_http_conf_get_module_main_conf(cf, ngx_http_callcenter_module);

    if (ccmf->locations) {
        return ngx_http_callcenter_metrics_add_zone(cf);
    }

    return NGX_OK;
}


static void *
ngx_http_callcenter_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_callcenter_main_conf_t  *ccmf;

    ccmf = ngx_pcalloc(cf->pool, sizeof(ngx_http_callcenter_main_conf_t));
    if (ccmf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ccmf->redis = NULL;
     *     ccmf->locations = 0;
     *     ccmf->site_key = { 0, NULL };
     */

    ccmf->redis_timeout = NGX_CONF_UNSET_MSEC;
    ccmf->redis_wait = NGX_CONF_UNSET_MSEC;

    return ccmf;
}


static char *
ngx_http_callcenter_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_callcenter_main_conf_t  *ccmf = conf;

    if (ccmf->site_key.data == NULL) {
        ngx_str_set(&ccmf->site_key, "cc:");
    }

    ngx_conf_init_msec_value(ccmf->redis_timeout, 3000);
    ngx_conf_init_msec_value(ccmf->redis_wait, 1000);

    /* a WAIT longer would read as a Redis that does not answer */
    if (ccmf->redis && ccmf->redis->replicas
        && (ccmf->redis_wait == 0
            || ccmf->redis_wait >= ccmf->redis_timeout))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"callcenter_redis_wait\" must be more than 0 "
                           "and less than \"callcenter_redis_timeout\"");
        return NGX_CONF_ERROR;
    }

    if (ccmf->locations && ccmf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "callcenter_caller, callcenter_agent and "
                           "callcenter_status need \"callcenter_redis\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_callcenter_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_callcenter_loc_conf_t  *cclf;

    cclf = ngx_pcalloc(cf->pool, sizeof(ngx_http_callcenter_loc_conf_t));
    if (cclf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     cclf->type = NGX_HTTP_CALLCENTER_NONE;
     *     cclf->agent = NULL;
     *     cclf->caller_page = { 0, NULL };
     *     cclf->priority = NULL;
     *     cclf->customer = NULL;
     */

    cclf->heartbeat = NGX_CONF_UNSET_MSEC;
    cclf->presence_grace = NGX_CONF_UNSET_MSEC;
    cclf->caller_grace = NGX_CONF_UNSET_MSEC;
    cclf->body_max = NGX_CONF_UNSET_SIZE;
    cclf->message_max = NGX_CONF_UNSET_SIZE;
    cclf->stream_buffer = NGX_CONF_UNSET_SIZE;
    cclf->streams_per_call = NGX_CONF_UNSET_UINT;
    cclf->streams_per_address = NGX_CONF_UNSET_UINT;
    cclf->message_rate = NGX_CONF_UNSET_UINT;
    cclf->message_burst = NGX_CONF_UNSET_UINT;
    cclf->call_budget = NGX_CONF_UNSET_SIZE;
    cclf->agent_origins = NGX_CONF_UNSET_PTR;

    return cclf;
}


static char *
ngx_http_callcenter_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_callcenter_loc_conf_t  *prev = parent;
    ngx_http_callcenter_loc_conf_t  *conf = child;

    ngx_conf_merge_msec_value(conf->heartbeat, prev->heartbeat, 15000);
    ngx_conf_merge_msec_value(conf->presence_grace, prev->presence_grace,
                              10000);
    ngx_conf_merge_msec_value(conf->caller_grace, prev->caller_grace, 60000);
    ngx_conf_merge_size_value(conf->body_max, prev->body_max, 16 * 1024);
    ngx_conf_merge_size_value(conf->message_max, prev->message_max,
                              16 * 1024);
    ngx_conf_merge_size_value(conf->stream_buffer, prev->stream_buffer,
                              256 * 1024);
    ngx_conf_merge_uint_value(conf->streams_per_call, prev->streams_per_call,
                              4);
    ngx_conf_merge_uint_value(conf->streams_per_address,
                              prev->streams_per_address, 64);
    ngx_conf_merge_str_value(conf->caller_page, prev->caller_page,
                             "/callcenter/call.html");

    /* a rate and its burst go together */
    if (conf->message_rate == NGX_CONF_UNSET_UINT) {
        if (prev->message_rate == NGX_CONF_UNSET_UINT) {
            conf->message_rate = 10000;     /* 10r/s */
            conf->message_burst = 20;

        } else {
            conf->message_rate = prev->message_rate;
            conf->message_burst = prev->message_burst;
        }
    }

    ngx_conf_merge_size_value(conf->call_budget, prev->call_budget,
                              1024 * 1024);
    ngx_conf_merge_ptr_value(conf->agent_origins, prev->agent_origins, NULL);

    if (conf->priority == NULL) {
        conf->priority = prev->priority;
    }

    if (conf->customer == NULL) {
        conf->customer = prev->customer;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_callcenter_init_process(ngx_cycle_t *cycle)
{
    /* first: the Redis links report to the worker's slot */
    ngx_http_callcenter_metrics_init_process(cycle);

    return ngx_http_callcenter_redis_init_process(cycle);
}


static void
ngx_http_callcenter_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_callcenter_redis_exit_process(cycle);
    ngx_http_callcenter_sse_exit_process();
    ngx_http_callcenter_metrics_exit_process();
    ngx_http_callcenter_status_exit_process();
}
