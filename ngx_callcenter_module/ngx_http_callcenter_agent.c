
/*
 * callcenter: the agent API (a location with callcenter_agent).
 */


#include "ngx_http_callcenter.h"
#include "cc_validate.h"


static ngx_int_t ngx_http_callcenter_agent_same_site(ngx_http_request_t *r);
static ngx_uint_t ngx_http_callcenter_agent_origin(ngx_http_request_t *r,
    ngx_str_t *origin);
static ngx_int_t ngx_http_callcenter_agent_events(ngx_http_request_t *r);
static void ngx_http_callcenter_agent_opened(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_agent_status(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_callcenter_agent_status_set(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_agent_call(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_agent_message(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_callcenter_agent_transfer(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_callcenter_agent_done(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_callcenter_agent_fcall(ngx_http_request_t *r,
    const char *fn, const char *arg1, const char *arg2,
    ngx_http_callcenter_reply_pt handler);


#define ngx_http_callcenter_is(s, lit)                                       \
    ((s).len == sizeof(lit) - 1 && ngx_strncmp((s).data, lit, (s).len) == 0)


ngx_int_t
ngx_http_callcenter_agent_handler(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_int_t                        rc;
    ngx_str_t                        agent, seg[3];
    ngx_uint_t                       n, method;
    const char                      *fn;
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_callcenter_loc_conf_t  *cclf;

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (ngx_http_complex_value(r, cclf->agent, &agent) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (agent.len == 0) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                              "no agent identity");
    }

    if (!cc_valid_id((char *) agent.data, agent.len)) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_FORBIDDEN,
                                              "invalid agent identity");
    }

    ctx = ngx_http_callcenter_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->agent = agent;

    rc = ngx_http_callcenter_agent_same_site(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    n = ngx_http_callcenter_split(path, seg, 3);

    if (n == 1 && ngx_http_callcenter_is(seg[0], "events")) {
        if (r->method != NGX_HTTP_GET) {
            return ngx_http_callcenter_send_not_allowed(r, "GET");
        }

        return ngx_http_callcenter_agent_events(r);
    }

    if (n == 1 && ngx_http_callcenter_is(seg[0], "status")) {
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_callcenter_send_not_allowed(r, "POST");
        }

        return ngx_http_callcenter_read_body(r, cclf->message_max,
                                           ngx_http_callcenter_agent_status);
    }

    if (n < 2 || n > 3 || !ngx_http_callcenter_is(seg[0], "calls")) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    fn = NULL;
    method = NGX_HTTP_POST;

    if (n == 2) {
        fn = "cc_agent_call";
        method = NGX_HTTP_GET;

    } else if (ngx_http_callcenter_is(seg[2], "accept")) {
        fn = "cc_agent_accept";
        ngx_str_set(&ctx->status, "assigned");

    } else if (ngx_http_callcenter_is(seg[2], "reject")) {
        fn = "cc_agent_reject";
        ngx_str_set(&ctx->status, "rejected");

    } else if (ngx_http_callcenter_is(seg[2], "end")) {
        fn = "cc_agent_end";
        ngx_str_set(&ctx->status, "ended");

    } else if (!ngx_http_callcenter_is(seg[2], "messages")
               && !ngx_http_callcenter_is(seg[2], "transfer"))
    {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    if (r->method != method) {
        return ngx_http_callcenter_send_not_allowed(r,
                                    method == NGX_HTTP_GET ? "GET" : "POST");
    }

    if (!cc_valid_id((char *) seg[1].data, seg[1].len)) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "unknown call");
    }

    /* null-terminated: seg[1] ends the path or is followed by '/' */

    ctx->call.data = ngx_pnalloc(r->pool, seg[1].len + 1);
    if (ctx->call.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->call.len = seg[1].len;
    *ngx_cpymem(ctx->call.data, seg[1].data, seg[1].len) = '\0';

    if (fn == NULL) {
        return ngx_http_callcenter_read_body(r, cclf->message_max,
                                         seg[2].data[0] == 'm'
                                         ? ngx_http_callcenter_agent_message
                                         : ngx_http_callcenter_agent_transfer);
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_http_callcenter_agent_fcall(r, fn, (char *) ctx->call.data,
                                           NULL,
                                           n == 2
                                           ? ngx_http_callcenter_agent_call
                                           : ngx_http_callcenter_agent_done);
}


/*
 * Pages of other sites cannot act as an agent: a browser names the page's
 * origin in Origin (a form or fetch() of another site, an EventSource,
 * "null" from a sandbox or a file), and a cross-site form or a "simple"
 * fetch() cannot send application/json.  Every method: a stream opened by
 * another site would make the agent present.  No Origin: not a browser,
 * allowed, unless Sec-Fetch-Site says cross-site (an <img> or <script> of
 * another site).  Before the body is read, before anything is written.
 * NGX_DECLINED: go on; else the rc of the 403 or 415 answered.
 */

static ngx_int_t
ngx_http_callcenter_agent_same_site(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_callcenter_header(r, "Origin");

    if (h != NULL && !ngx_http_callcenter_agent_origin(r, &h->value)) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_FORBIDDEN,
                                              "cross-origin request");
    }

    if (h == NULL) {
        h = ngx_http_callcenter_header(r, "Sec-Fetch-Site");

        if (h != NULL && ngx_http_callcenter_is(h->value, "cross-site")) {
            return ngx_http_callcenter_send_error(r, NGX_HTTP_FORBIDDEN,
                                                  "cross-origin request");
        }
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return NGX_DECLINED;
    }

    h = r->headers_in.content_type;

    if (h == NULL
        || !cc_json_content_type((char *) h->value.data, h->value.len))
    {
        return ngx_http_callcenter_send_error(r,
                                        NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        "want Content-Type: application/json");
    }

    return NGX_DECLINED;
}


/*
 * The Origin value names the request's own origin (its scheme and Host)
 * or one of callcenter_agent_origins.
 */

static ngx_uint_t
ngx_http_callcenter_agent_origin(ngx_http_request_t *r, ngx_str_t *value)
{
    u_char                          *p;
    size_t                           len, own;
    ngx_str_t                       *allowed;
    ngx_uint_t                       i;
    ngx_table_elt_t                 *host;
    ngx_http_callcenter_loc_conf_t  *cclf;
    u_char                           origin[CC_ORIGIN_MAX + 1];
    u_char                           addressed[CC_ORIGIN_MAX + 1];
    u_char                           ours[CC_ORIGIN_MAX + 1];

    len = cc_origin_normalize((char *) value->data, value->len,
                              (char *) origin);
    if (len == 0) {
        return 0;                               /* "null" or no origin */
    }

    host = r->headers_in.host;

    if (host != NULL && host->value.len <= CC_ORIGIN_MAX - 8) {
        p = addressed;

#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            p = ngx_cpymem(p, "https://", 8);

        } else
#endif
        {
            p = ngx_cpymem(p, "http://", 7);
        }

        p = ngx_cpymem(p, host->value.data, host->value.len);

        own = cc_origin_normalize((char *) addressed, p - addressed,
                                  (char *) ours);

        if (own == len && ngx_strncmp(ours, origin, len) == 0) {
            return 1;
        }
    }

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (cclf->agent_origins == NULL) {
        return 0;
    }

    allowed = cclf->agent_origins->elts;

    for (i = 0; i < cclf->agent_origins->nelts; i++) {
        if (allowed[i].len == len
            && ngx_strncmp(allowed[i].data, origin, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* FCALL fn 0 AGENT [arg1 [arg2]] */

static ngx_int_t
ngx_http_callcenter_agent_fcall(ngx_http_request_t *r, const char *fn,
    const char *arg1, const char *arg2, ngx_http_callcenter_reply_pt handler)
{
    ngx_uint_t                  n;
    ngx_str_t                   args[3];
    ngx_http_callcenter_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    args[0] = ctx->agent;
    n = 1;

    if (arg1 != NULL) {
        args[n].data = (u_char *) arg1;
        args[n++].len = ngx_strlen(arg1);
    }

    if (arg2 != NULL) {
        args[n].data = (u_char *) arg2;
        args[n++].len = ngx_strlen(arg2);
    }

    return ngx_http_callcenter_fcall(r, handler, fn, n, args);
}


static ngx_int_t
ngx_http_callcenter_agent_events(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   args[4];
    ngx_http_callcenter_ctx_t  *ctx;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    /* everything checked before cc_agent_open registers presence */

    if (ngx_http_callcenter_sse_conn(r, NGX_HTTP_CALLCENTER_AGENT, &args[2],
                                     &rc)
        != NGX_OK)
    {
        return rc;
    }

    /* cc_agent_open A conn ttl last_id (empty: a fresh stream) */
    args[0] = ctx->agent;
    args[1] = ctx->conn_id;
    args[3] = ctx->last_id;

    if (args[3].len == 0) {
        ngx_str_set(&args[3], "");
    }

    return ngx_http_callcenter_fcall(r, ngx_http_callcenter_agent_opened,
                                     "cc_agent_open", 4, args);
}


/*
 * {stream_key, from_id, event, data, ...}: the events go out with id
 * from_id, then the stream after from_id.
 */

static void
ngx_http_callcenter_agent_opened(ngx_http_request_t *r, redisReply *reply)
{
    size_t                              i;
    redisReply                         *e, *d;
    ngx_http_callcenter_ctx_t          *ctx;
    ngx_http_callcenter_event_t        *ev;
    ngx_http_callcenter_stream_conf_t   scf;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2 || reply->elements % 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING
        || !cc_valid_event_id(reply->element[1]->str,
                              reply->element[1]->len))
    {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    ngx_memzero(&scf, sizeof(ngx_http_callcenter_stream_conf_t));

    scf.channel.data = (u_char *) reply->element[0]->str;
    scf.channel.len = reply->element[0]->len;
    scf.snapshot_id.data = (u_char *) reply->element[1]->str;
    scf.snapshot_id.len = reply->element[1]->len;
    scf.last_id = scf.snapshot_id;
    scf.party = NGX_HTTP_CALLCENTER_AGENT;
    scf.present = ctx->agent;
    scf.conn_id = ctx->conn_id;

    scf.snapshot = ngx_array_create(r->pool, reply->elements / 2 + 1,
                                    sizeof(ngx_http_callcenter_event_t));
    if (scf.snapshot == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    for (i = 2; i + 1 < reply->elements; i += 2) {
        e = reply->element[i];
        d = reply->element[i + 1];

        if (e->type != REDIS_REPLY_STRING || d->type != REDIS_REPLY_STRING) {
            ngx_http_callcenter_finalize_reply_error(r, NULL);
            return;
        }

        ev = ngx_array_push(scf.snapshot);
        if (ev == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ev->event.data = (u_char *) e->str;
        ev->event.len = e->len;
        ev->data.data = (u_char *) d->str;
        ev->data.len = d->len;
    }

    ngx_http_callcenter_sse_start(r, &scf);
}


/* POST status {"status": "available" | "away"} */

static void
ngx_http_callcenter_agent_status(ngx_http_request_t *r, ngx_str_t *body)
{
    char                        err[CC_ERR_MAX];
    const char                 *status;
    ngx_http_callcenter_ctx_t  *ctx;

    status = cc_agent_status_parse((char *) body->data, body->len, err,
                                   sizeof(err));
    if (status == NULL) {
        ngx_http_callcenter_finalize_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    ctx->status.data = (u_char *) status;
    ctx->status.len = ngx_strlen(status);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_agent_fcall(r, "cc_agent_status", status,
                                       NULL,
                                       ngx_http_callcenter_agent_status_set));
}


static void
ngx_http_callcenter_agent_status_set(ngx_http_request_t *r,
    redisReply *reply)
{
    u_char                     *p, json[sizeof("{\"status\":\"available\"}")];
    ngx_http_callcenter_ctx_t  *ctx;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    p = ngx_sprintf(json, "{\"status\":\"%V\"}", &ctx->status);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_json(r, NGX_HTTP_OK, json, p - json));
}


/* GET calls/ID: the call as the function library tells it */

static void
ngx_http_callcenter_agent_call(ngx_http_request_t *r, redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_json(r, NGX_HTTP_OK,
                                           (u_char *) reply->str,
                                           reply->len));
}


static void
ngx_http_callcenter_agent_message(ngx_http_request_t *r, ngx_str_t *body)
{
    char                       *msg, err[CC_ERR_MAX];
    ngx_int_t                   rc;
    ngx_str_t                   args[4];
    ngx_http_callcenter_ctx_t  *ctx;

    msg = cc_message_normalize((char *) body->data, body->len, 1, err,
                               sizeof(err));
    if (msg == NULL) {
        ngx_http_callcenter_finalize_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    args[0] = ctx->agent;
    args[1] = ctx->call;
    args[2].data = (u_char *) msg;
    args[2].len = ngx_strlen(msg);
    ngx_http_callcenter_message_kind(msg, &args[3]);

    rc = ngx_http_callcenter_fcall(r, ngx_http_callcenter_message_reply,
                                   "cc_agent_message", 4, args);

    cJSON_free(msg);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_callcenter_agent_transfer(ngx_http_request_t *r, ngx_str_t *body)
{
    char                        err[CC_ERR_MAX], target[CC_ID_MAX + 1];
    const char                 *kind;
    ngx_str_t                   args[4];
    ngx_http_callcenter_ctx_t  *ctx;

    if (cc_transfer_parse((char *) body->data, body->len, &kind, target,
                          err, sizeof(err))
        != 0)
    {
        ngx_http_callcenter_finalize_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    ngx_str_set(&ctx->status, "transferred");

    args[0] = ctx->agent;
    args[1] = ctx->call;
    args[2].data = (u_char *) kind;
    args[2].len = ngx_strlen(kind);
    args[3].data = (u_char *) target;
    args[3].len = ngx_strlen(target);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_fcall(r, ngx_http_callcenter_agent_done,
                                       "cc_agent_transfer", 4, args));
}


/* accept, reject, end, transfer: 200 {"call": ID, "status": S} */

static void
ngx_http_callcenter_agent_done(ngx_http_request_t *r, redisReply *reply)
{
    u_char                     *json, *p;
    ngx_http_callcenter_ctx_t  *ctx;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    json = ngx_pnalloc(r->pool, sizeof("{\"call\":\"\",\"status\":\"\"}")
                                + ctx->call.len + ctx->status.len);
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(json, "{\"call\":\"%V\",\"status\":\"%V\"}", &ctx->call,
                    &ctx->status);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_json(r, NGX_HTTP_OK, json, p - json));
}
