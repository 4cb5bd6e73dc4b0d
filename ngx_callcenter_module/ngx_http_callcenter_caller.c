
/*
 * callcenter: the caller API (a location with callcenter_caller).
 */


#include "ngx_http_callcenter.h"
#include "cc_validate.h"


#define NGX_HTTP_CALLCENTER_ID_BYTES       16
#define NGX_HTTP_CALLCENTER_TOKEN_BYTES    32
#define NGX_HTTP_CALLCENTER_UA_MAX         512
#define NGX_HTTP_CALLCENTER_LANGS_MAX      256
#define NGX_HTTP_CALLCENTER_VISITOR_BYTES  16    /* 22 chars of base64url */
#define NGX_HTTP_CALLCENTER_CUSTOMER_MAX   256
#define NGX_HTTP_CALLCENTER_PRIORITY_MAX   100


static ngx_int_t ngx_http_callcenter_caller_query(ngx_http_request_t *r);
static void ngx_http_callcenter_caller_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_callcenter_caller_create(ngx_http_request_t *r,
    cc_call_request_t *req);
static ngx_int_t ngx_http_callcenter_caller_priority(ngx_http_request_t *r,
    ngx_str_t *priority);
static ngx_int_t ngx_http_callcenter_caller_customer(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx, ngx_str_t *customer);
static ngx_int_t ngx_http_callcenter_caller_cookie(ngx_http_request_t *r,
    ngx_str_t *visitor);
static ngx_int_t ngx_http_callcenter_caller_add(ngx_http_request_t *r,
    cJSON *caller, const char *name, u_char *value, size_t len, size_t max);
static u_char *ngx_http_callcenter_caller_utf8(ngx_http_request_t *r,
    u_char *value, size_t len, size_t max);
static void ngx_http_callcenter_caller_created(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_callcenter_caller_events(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx);
static void ngx_http_callcenter_caller_opened(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_callcenter_caller_message(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_callcenter_caller_hungup(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_http_callcenter_caller_handler(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_str_t                        seg[2], token, args[2];
    ngx_uint_t                       n, method;
    ngx_table_elt_t                 *h;
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_callcenter_loc_conf_t  *cclf;

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (path->len == 0) {

        if (r->method == NGX_HTTP_GET) {
            return ngx_http_callcenter_caller_query(r);
        }

        if (r->method == NGX_HTTP_POST) {
            return ngx_http_callcenter_read_body(r, cclf->body_max,
                                              ngx_http_callcenter_caller_body);
        }

        return ngx_http_callcenter_send_not_allowed(r, "GET, POST");
    }

    n = ngx_http_callcenter_split(path, seg, 2);

    if (n != 2) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    if (seg[1].len == 6 && ngx_strncmp(seg[1].data, "events", 6) == 0) {
        method = NGX_HTTP_GET;

    } else if ((seg[1].len == 8
                && ngx_strncmp(seg[1].data, "messages", 8) == 0)
               || (seg[1].len == 6
                   && ngx_strncmp(seg[1].data, "hangup", 6) == 0))
    {
        method = NGX_HTTP_POST;

    } else {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "not found");
    }

    if (r->method != method) {
        return ngx_http_callcenter_send_not_allowed(r,
                                    method == NGX_HTTP_GET ? "GET" : "POST");
    }

    if (!cc_valid_id((char *) seg[0].data, seg[0].len)) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "unknown call");
    }

    h = ngx_http_callcenter_header(r, "X-Call-Token");

    if (h != NULL) {
        token = h->value;

    } else if (ngx_http_callcenter_arg(r, "token", &token) != NGX_OK) {
        ngx_str_null(&token);
    }

    /* the header wins over ?token=, for every request about a call */

    if (!cc_valid_token((char *) token.data, token.len)) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_FORBIDDEN,
                                              "forbidden");
    }

    ctx = ngx_http_callcenter_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->call = seg[0];
    ctx->token = token;

    if (seg[1].data[0] == 'm') {
        return ngx_http_callcenter_read_body(r, cclf->message_max,
                                          ngx_http_callcenter_caller_message);
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (seg[1].data[0] == 'e') {
        return ngx_http_callcenter_caller_events(r, ctx);
    }

    args[0] = ctx->call;
    args[1] = ctx->token;

    return ngx_http_callcenter_fcall(r, ngx_http_callcenter_caller_hungup,
                                     "cc_caller_hangup", 2, args);
}


/* GET /call?queue=Q&name=N&topic=T: a plain link */

static ngx_int_t
ngx_http_callcenter_caller_query(ngx_http_request_t *r)
{
    char                        err[CC_ERR_MAX];
    u_char                     *utf8;
    ngx_int_t                   rc;
    ngx_str_t                   value;
    ngx_uint_t                  i;
    cJSON                      *obj;
    cc_call_request_t           req;
    ngx_http_callcenter_ctx_t  *ctx;

    static char  *fields[] = { "queue", "name", "topic" };

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ctx = ngx_http_callcenter_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->redirect = 1;

    obj = cJSON_CreateObject();
    if (obj == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        rc = ngx_http_callcenter_arg(r, fields[i], &value);

        if (rc == NGX_DECLINED) {
            continue;
        }

        /* as valid UTF-8: the fields' bounds apply to what is stored */

        utf8 = (rc == NGX_OK)
               ? ngx_http_callcenter_caller_utf8(r, value.data, value.len,
                                                 3 * value.len)
               : NULL;

        if (utf8 == NULL
            || cJSON_AddStringToObject(obj, fields[i], (char *) utf8)
               == NULL)
        {
            cJSON_Delete(obj);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = cc_call_request_from_json(obj, &req, err, sizeof(err));

    cJSON_Delete(obj);

    if (rc != 0) {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_BAD_REQUEST, err);
    }

    return ngx_http_callcenter_caller_create(r, &req);
}


/* POST /call */

static void
ngx_http_callcenter_caller_body(ngx_http_request_t *r, ngx_str_t *body)
{
    char               err[CC_ERR_MAX];
    cc_call_request_t  req;

    if (cc_call_request_parse((char *) body->data, body->len, &req, err,
                              sizeof(err))
        != 0)
    {
        ngx_http_callcenter_finalize_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_callcenter_caller_create(r, &req));
}


/* adds what the request shows and creates the call; frees req */

static ngx_int_t
ngx_http_callcenter_caller_create(ngx_http_request_t *r,
    cc_call_request_t *req)
{
    char                            *caller, *skills;
    u_char                           lang[CC_LANGUAGE_MAX + 1];
    u_char                           now[sizeof("1970-01-01T00:00:00Z")];
    u_char                           grace[NGX_INT64_LEN];
    size_t                           len;
    ngx_tm_t                         tm;
    ngx_int_t                        rc;
    ngx_table_elt_t                 *h;
    ngx_str_t                        args[8];
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_callcenter_loc_conf_t  *cclf;

    ctx = ngx_http_callcenter_get_ctx(r);
    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (ctx == NULL
        || ngx_http_callcenter_random(r, NGX_HTTP_CALLCENTER_ID_BYTES,
                                      &ctx->call)
           != NGX_OK
        || ngx_http_callcenter_random(r, NGX_HTTP_CALLCENTER_TOKEN_BYTES,
                                      &ctx->token)
           != NGX_OK
        || ngx_http_callcenter_caller_priority(r, &args[6]) != NGX_OK
        || ngx_http_callcenter_caller_customer(r, ctx, &args[7]) != NGX_OK)
    {
        cc_call_request_free(req);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->queue.len = ngx_strlen(req->queue);
    ctx->queue.data = ngx_pnalloc(r->pool, ctx->queue.len + 1);
    if (ctx->queue.data == NULL) {
        cc_call_request_free(req);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->queue.data, req->queue, ctx->queue.len + 1);

    ngx_gmtime(ngx_time(), &tm);
    ngx_sprintf(now, "%4d-%02d-%02dT%02d:%02d:%02dZ%Z",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    rc = ngx_http_callcenter_caller_add(r, req->caller, "ip",
                                        r->connection->addr_text.data,
                                        r->connection->addr_text.len,
                                        NGX_SOCKADDR_STRLEN);

    h = r->headers_in.user_agent;
    if (rc == NGX_OK && h != NULL) {
        rc = ngx_http_callcenter_caller_add(r, req->caller, "user_agent",
                                            h->value.data, h->value.len,
                                            NGX_HTTP_CALLCENTER_UA_MAX);
    }

    h = ngx_http_callcenter_header(r, "Accept-Language");
    if (rc == NGX_OK && h != NULL) {
        len = cc_first_language((char *) h->value.data, h->value.len,
                                (char *) lang);
        if (len) {
            rc = ngx_http_callcenter_caller_add(r, req->caller, "language",
                                                lang, len, CC_LANGUAGE_MAX);
        }

        if (rc == NGX_OK) {
            rc = ngx_http_callcenter_caller_add(r, req->caller, "languages",
                                                h->value.data, h->value.len,
                                                NGX_HTTP_CALLCENTER_LANGS_MAX);
        }
    }

    h = r->headers_in.referer;
    if (rc == NGX_OK && h != NULL) {
        rc = ngx_http_callcenter_caller_add(r, req->caller, "referer",
                                            h->value.data, h->value.len,
                                            CC_URL_MAX);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_callcenter_caller_add(r, req->caller, "time", now,
                                            ngx_strlen(now), sizeof(now));
    }

    caller = (rc == NGX_OK) ? cJSON_PrintUnformatted(req->caller) : NULL;
    skills = (caller != NULL) ? cJSON_PrintUnformatted(req->skills) : NULL;

    cc_call_request_free(req);

    if (skills == NULL) {
        cJSON_free(caller);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[0] = ctx->call;
    args[1] = ctx->token;
    args[2] = ctx->queue;
    args[3].data = (u_char *) caller;
    args[3].len = ngx_strlen(caller);
    args[4].data = (u_char *) skills;
    args[4].len = ngx_strlen(skills);

    /* the caller must open an event stream within it, or the call ends */
    args[5].data = grace;
    args[5].len = ngx_sprintf(grace, "%M", cclf->caller_grace) - grace;

    /* args[6], args[7]: the call's priority and customer, set above */

    rc = ngx_http_callcenter_intake(r, ngx_http_callcenter_caller_created,
                                    args);

    cJSON_free(caller);
    cJSON_free(skills);

    return rc;
}


/*
 * callcenter_priority: an integer 0..100 as a string.  Anything else is
 * the site's configuration gone wrong, not the caller's input: 0, and a
 * warn.
 */

static ngx_int_t
ngx_http_callcenter_caller_priority(ngx_http_request_t *r,
    ngx_str_t *priority)
{
    ngx_int_t                        n;
    ngx_str_t                        value;
    ngx_http_callcenter_loc_conf_t  *cclf;

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    n = 0;

    if (cclf->priority != NULL) {
        if (ngx_http_complex_value(r, cclf->priority, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        n = (value.len > 0 && value.len <= 3)
            ? ngx_atoi(value.data, value.len) : NGX_ERROR;

        if (n == NGX_ERROR || n > NGX_HTTP_CALLCENTER_PRIORITY_MAX) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "callcenter: callcenter_priority gave \"%*s\", "
                          "not an integer 0..100: 0 taken",
                          ngx_min(value.len, 32), value.data);
            n = 0;
        }
    }

    priority->data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (priority->data == NULL) {
        return NGX_ERROR;
    }

    priority->len = ngx_sprintf(priority->data, "%i", n) - priority->data;

    return NGX_OK;
}


/*
 * Who the caller is for sticky routing: "c:" and callcenter_customer when
 * the site knows, else "v:" and the visitor cookie, a new one (into
 * ctx->visitor, set with the answer) when the request has no valid one.
 */

static ngx_int_t
ngx_http_callcenter_caller_customer(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx, ngx_str_t *customer)
{
    u_char                          *p;
    ngx_str_t                        value;
    ngx_http_callcenter_loc_conf_t  *cclf;

    static ngx_str_t  name = ngx_string("callcenter_visitor");

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    ngx_str_null(&value);

    if (cclf->customer != NULL) {
        if (ngx_http_complex_value(r, cclf->customer, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        if (value.len > NGX_HTTP_CALLCENTER_CUSTOMER_MAX) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "callcenter: callcenter_customer gave %uz bytes, "
                          "more than %d: the visitor cookie taken",
                          value.len, NGX_HTTP_CALLCENTER_CUSTOMER_MAX);
            value.len = 0;
        }
    }

    if (value.len) {
        p = (u_char *) "c:";

    } else {
        p = (u_char *) "v:";

#if (nginx_version >= 1023000)
        if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, &name,
                                              &value)
            == NULL)
#else
        if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &name,
                                              &value)
            == NGX_DECLINED)
#endif
        {
            value.len = 0;
        }

        if (!cc_valid_visitor((char *) value.data, value.len)) {
            if (ngx_http_callcenter_random(r,
                                           NGX_HTTP_CALLCENTER_VISITOR_BYTES,
                                           &ctx->visitor)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            value = ctx->visitor;
        }
    }

    customer->len = 2 + value.len;
    customer->data = ngx_pnalloc(r->pool, customer->len);
    if (customer->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(customer->data, p, 2), value.data, value.len);

    return NGX_OK;
}


/* Set-Cookie of a new visitor id: a year, out of reach of scripts */

static ngx_int_t
ngx_http_callcenter_caller_cookie(ngx_http_request_t *r, ngx_str_t *visitor)
{
    size_t            len;
    ngx_uint_t        secure;
    ngx_table_elt_t  *h;

    secure = 0;

#if (NGX_HTTP_SSL)
    secure = (r->connection->ssl != NULL);
#endif

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("callcenter_visitor=; Path=/; Max-Age=31536000; HttpOnly; "
                 "SameSite=Lax; Secure") - 1 + visitor->len;

    h->value.data = ngx_pnalloc(r->pool, len);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->value.len = ngx_sprintf(h->value.data,
                               "callcenter_visitor=%V; Path=/; "
                               "Max-Age=31536000; HttpOnly; SameSite=Lax%s",
                               visitor, secure ? "; Secure" : "")
                   - h->value.data;
    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");

    return NGX_OK;
}


/* a string field, see ngx_http_callcenter_caller_utf8() */

static ngx_int_t
ngx_http_callcenter_caller_add(ngx_http_request_t *r, cJSON *caller,
    const char *name, u_char *value, size_t len, size_t max)
{
    u_char  *s;

    s = ngx_http_callcenter_caller_utf8(r, value, len, max);
    if (s == NULL) {
        return NGX_ERROR;
    }

    if (cJSON_AddStringToObject(caller, name, (char *) s) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A null-terminated copy as valid UTF-8 (U+FFFD for what is not), at most
 * max bytes, cut on a character boundary; NULL when out of memory.
 */

static u_char *
ngx_http_callcenter_caller_utf8(ngx_http_request_t *r, u_char *value,
    size_t len, size_t max)
{
    u_char  *s;
    size_t   size;

    size = ngx_min(3 * len, max);

    s = ngx_pnalloc(r->pool, size + 1);
    if (s == NULL) {
        return NULL;
    }

    len = cc_utf8_sanitize((char *) value, len, (char *) s, size);
    s[len] = '\0';

    return s;
}


/* the decimal number of an integer or numeric string reply, or 0 */

static size_t
ngx_http_callcenter_caller_number(redisReply *reply, u_char *buf)
{
    size_t  i;

    if (reply->type == REDIS_REPLY_INTEGER) {
        return ngx_sprintf(buf, "%L", (int64_t) reply->integer) - buf;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len == 0
        || reply->len > NGX_INT64_LEN - 1)
    {
        return 0;
    }

    for (i = 0; i < reply->len; i++) {
        if (reply->str[i] < '0' || reply->str[i] > '9') {
            return 0;
        }
    }

    return ngx_cpymem(buf, reply->str, reply->len) - buf;
}


static void
ngx_http_callcenter_caller_created(ngx_http_request_t *r, redisReply *reply)
{
    u_char                          *json, *p;
    u_char                           position[NGX_INT64_LEN];
    u_char                           wait[NGX_INT64_LEN];
    u_char                           opens[NGX_INT64_LEN];
    size_t                           len, plen, wlen, olen;
    ngx_int_t                        rc;
    ngx_uint_t                       slash, closed;
    redisReply                      *status;
    ngx_table_elt_t                 *location;
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_callcenter_loc_conf_t  *cclf;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    plen = 0;
    wlen = 0;
    olen = 0;
    closed = 0;

    if (reply->elements >= 2) {
        plen = ngx_http_callcenter_caller_number(reply->element[0],
                                                 position);
        wlen = ngx_http_callcenter_caller_number(reply->element[1], wait);
    }

    /* [position, wait, status, opens_at]; the library before it answers
     * the first two only: queued */

    if (reply->elements >= 4) {
        status = reply->element[2];
        closed = (status->type == REDIS_REPLY_STRING && status->len == 6
                  && ngx_strncmp(status->str, "closed", 6) == 0);
        olen = ngx_http_callcenter_caller_number(reply->element[3], opens);
    }

    if (ctx->visitor.len
        && ngx_http_callcenter_caller_cookie(r, &ctx->visitor) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    slash = (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/');

    len = sizeof("{\"call\":\"\",\"token\":\"\",\"events\":\"/"
                 "/events?token=\",\"status\":\"queued\",\"queue\":\"\""
                 ",\"position\":,\"estimated_wait\":,\"opens_at\":null}")
          - 1 + 2 * ctx->call.len + 2 * ctx->token.len + clcf->name.len
          + ctx->queue.len + plen + wlen + olen;

    json = ngx_pnalloc(r->pool, len);
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(json, "{\"call\":\"%V\",\"token\":\"%V\","
                    "\"events\":\"%V%s%V/events?token=%V\","
                    "\"status\":\"%s\",\"queue\":\"%V\"",
                    &ctx->call, &ctx->token, &clcf->name, slash ? "" : "/",
                    &ctx->call, &ctx->token, closed ? "closed" : "queued",
                    &ctx->queue);

    if (plen) {
        p = ngx_sprintf(p, ",\"position\":%*s", plen, position);
    }

    if (wlen) {
        p = ngx_sprintf(p, ",\"estimated_wait\":%*s", wlen, wait);
    }

    if (closed) {
        p = olen ? ngx_sprintf(p, ",\"opens_at\":%*s", olen, opens)
                 : ngx_cpymem(p, ",\"opens_at\":null",
                              sizeof(",\"opens_at\":null") - 1);
    }

    *p++ = '}';

    if (!ctx->redirect) {
        ngx_http_finalize_request(r,
                 ngx_http_callcenter_send_json(r, NGX_HTTP_CREATED, json,
                                               p - json));
        return;
    }

    /* the token stays in the fragment: out of logs and Referer */

    location = ngx_list_push(&r->headers_out.headers);
    if (location == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    len = cclf->caller_page.len + sizeof("#call=&token=&queue=") - 1
          + ctx->call.len + ctx->token.len + ctx->queue.len;

    location->value.data = ngx_pnalloc(r->pool, len);
    if (location->value.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    location->value.len = ngx_sprintf(location->value.data,
                                      "%V#call=%V&token=%V&queue=%V",
                                      &cclf->caller_page, &ctx->call,
                                      &ctx->token, &ctx->queue)
                          - location->value.data;
    location->hash = 1;
    ngx_str_set(&location->key, "Location");

    r->headers_out.location = location;

    rc = ngx_http_callcenter_send_json(r, NGX_HTTP_SEE_OTHER, json,
                                       p - json);

    ngx_http_finalize_request(r, rc);
}


/* GET /call/ID/events: everything checked before the FCALL writes */

static ngx_int_t
ngx_http_callcenter_caller_events(ngx_http_request_t *r,
    ngx_http_callcenter_ctx_t *ctx)
{
    u_char                          *max;
    ngx_int_t                        rc;
    ngx_str_t                        args[5];
    ngx_http_callcenter_loc_conf_t  *cclf;

    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    if (ngx_http_callcenter_sse_conn(r, NGX_HTTP_CALLCENTER_CALLER, &args[3],
                                     &rc)
        != NGX_OK)
    {
        return rc;
    }

    max = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (max == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->last_id.len == 0) {
        ngx_str_set(&ctx->last_id, "0-0");    /* the whole call */
    }

    /* cc_caller_open ID token conn ttl max_streams */
    args[0] = ctx->call;
    args[1] = ctx->token;
    args[2] = ctx->conn_id;
    args[4].data = max;
    args[4].len = ngx_sprintf(max, "%ui", cclf->streams_per_call) - max;

    return ngx_http_callcenter_fcall(r, ngx_http_callcenter_caller_opened,
                                     "cc_caller_open", 5, args);
}


static void
ngx_http_callcenter_caller_opened(ngx_http_request_t *r, redisReply *reply)
{
    ngx_http_callcenter_ctx_t          *ctx;
    ngx_http_callcenter_stream_conf_t   scf;

    if (reply == NULL
        || (reply->type != REDIS_REPLY_STRING
            && reply->type != REDIS_REPLY_STATUS)
        || reply->len == 0)
    {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    ngx_memzero(&scf, sizeof(ngx_http_callcenter_stream_conf_t));

    scf.channel.data = (u_char *) reply->str;
    scf.channel.len = reply->len;
    scf.last_id = ctx->last_id;
    scf.party = NGX_HTTP_CALLCENTER_CALLER;
    scf.present = ctx->call;
    scf.conn_id = ctx->conn_id;

    ngx_http_callcenter_sse_start(r, &scf);
}


/*
 * POST /call/ID/messages: with the call's limits, which the function
 * library enforces (TOOMANY: 429)
 */

static void
ngx_http_callcenter_caller_message(ngx_http_request_t *r, ngx_str_t *body)
{
    char                            *msg, err[CC_ERR_MAX];
    u_char                           rate[NGX_INT64_LEN];
    u_char                           burst[NGX_INT64_LEN];
    u_char                           budget[NGX_INT64_LEN];
    ngx_int_t                        rc;
    ngx_str_t                        args[7];
    ngx_http_callcenter_ctx_t       *ctx;
    ngx_http_callcenter_loc_conf_t  *cclf;

    msg = cc_message_normalize((char *) body->data, body->len, 0, err,
                               sizeof(err));
    if (msg == NULL) {
        ngx_http_callcenter_finalize_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);
    cclf = ngx_http_get_module_loc_conf(r, ngx_http_callcenter_module);

    args[0] = ctx->call;
    args[1] = ctx->token;
    args[2].data = (u_char *) msg;
    args[2].len = ngx_strlen(msg);
    ngx_http_callcenter_message_kind(msg, &args[3]);
    args[4].data = rate;
    args[4].len = ngx_sprintf(rate, "%ui", cclf->message_rate) - rate;
    args[5].data = burst;
    args[5].len = ngx_sprintf(burst, "%ui", cclf->message_burst) - burst;
    args[6].data = budget;
    args[6].len = ngx_sprintf(budget, "%uz", cclf->call_budget) - budget;

    rc = ngx_http_callcenter_fcall(r, ngx_http_callcenter_message_reply,
                                   "cc_caller_message", 7, args);

    cJSON_free(msg);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_callcenter_caller_hungup(ngx_http_request_t *r, redisReply *reply)
{
    u_char                     *json, *p;
    ngx_http_callcenter_ctx_t  *ctx;

    if (reply == NULL
        || (reply->type != REDIS_REPLY_STRING
            && reply->type != REDIS_REPLY_STATUS)
        || !cc_valid_id(reply->str, reply->len))
    {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    json = ngx_pnalloc(r->pool, sizeof("{\"call\":\"\",\"status\":\"ended\","
                                       "\"reason\":\"\"}")
                                + ctx->call.len + reply->len);
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(json, "{\"call\":\"%V\",\"status\":\"ended\","
                    "\"reason\":\"%*s\"}", &ctx->call, reply->len,
                    reply->str);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send_json(r, NGX_HTTP_OK, json, p - json));
}
