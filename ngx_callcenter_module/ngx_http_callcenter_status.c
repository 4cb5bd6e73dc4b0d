
/*
 * callcenter: queue and agent figures (a location with callcenter_status).
 */


#include "ngx_http_callcenter.h"


static void ngx_http_callcenter_status_reply(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_http_callcenter_status_handler(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_str_t                   format;
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

    if (ngx_http_callcenter_arg(r, "format", &format) != NGX_OK) {
        ngx_str_set(&format, "json");
    }

    if ((format.len != 4 || ngx_strncmp(format.data, "json", 4) != 0)
        && (format.len != 10
            || ngx_strncmp(format.data, "prometheus", 10) != 0))
    {
        return ngx_http_callcenter_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "format: want json or "
                                              "prometheus");
    }

    ctx->status = format;

    return ngx_http_callcenter_fcall(r, ngx_http_callcenter_status_reply,
                                     "cc_status", 1, &format);
}


static void
ngx_http_callcenter_status_reply(ngx_http_request_t *r, redisReply *reply)
{
    ngx_http_callcenter_ctx_t  *ctx;

    static ngx_str_t  json = ngx_string("application/json");
    static ngx_str_t  text = ngx_string("text/plain; version=0.0.4");

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        ngx_http_callcenter_finalize_reply_error(r, reply);
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_callcenter_module);

    ngx_http_finalize_request(r,
             ngx_http_callcenter_send(r, NGX_HTTP_OK,
                                      ctx->status.len == 4 ? &json : &text,
                                      (u_char *) reply->str, reply->len));
}
