
/*
 * The new calls a worker takes in one turn of its event loop go to Redis
 * in one FCALL, cc_calls_create (docs/DESIGN.md, "The module"): what
 * they share (the clock, their queue's settings, staffing and waiting
 * calls) is read once, a quarter of Redis's time a call under wrk's
 * load.  A call alone in its turn goes as it did, cc_call_create.  The batch is sent
 * from a posted event, after every ready connection of the turn was
 * read: no call waits for a timer.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_callcenter.h"


#define NGX_HTTP_CALLCENTER_INTAKE_ARGS   8    /* cc_call_create's */
#define NGX_HTTP_CALLCENTER_INTAKE_MAX    256  /* calls a batch, as the
                                                * library takes them */


typedef struct {
    ngx_queue_t                     queue;
    ngx_http_request_t             *request;    /* NULL: gone */
    ngx_pool_cleanup_t             *cleanup;
    ngx_http_callcenter_reply_pt    handler;
    u_char                         *bytes;      /* the args' text, freed
                                                 * once sent */
    ngx_str_t                       args[NGX_HTTP_CALLCENTER_INTAKE_ARGS];
} ngx_http_callcenter_intake_call_t;


typedef struct {
    ngx_queue_t                     calls;
    ngx_uint_t                      n;
} ngx_http_callcenter_intake_batch_t;


static void ngx_http_callcenter_intake_flush(ngx_event_t *ev);
static void ngx_http_callcenter_intake_send(ngx_queue_t *calls,
    ngx_uint_t n);
static void ngx_http_callcenter_intake_reply(void *data, redisReply *reply);
static void ngx_http_callcenter_intake_answer(
    ngx_http_callcenter_intake_call_t *call, redisReply *reply);
static void ngx_http_callcenter_intake_detach(void *data);


static ngx_queue_t  ngx_http_callcenter_intake_calls;
static ngx_event_t  ngx_http_callcenter_intake_event;


/*
 * cc_call_create's arguments for r, answered to handler(r, reply) as an
 * FCALL of its own would be: NGX_DONE, or the rc of the answer given
 * (503 when Redis is away).  The arguments are copied.
 */

ngx_int_t
ngx_http_callcenter_intake(ngx_http_request_t *r,
    ngx_http_callcenter_reply_pt handler, ngx_str_t *args)
{
    u_char                             *p;
    size_t                              len;
    ngx_uint_t                          i;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_callcenter_intake_call_t  *call;

    if (!ngx_http_callcenter_redis_connected()) {
        return ngx_http_callcenter_send_error(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              "redis unavailable");
    }

    len = 0;

    for (i = 0; i < NGX_HTTP_CALLCENTER_INTAKE_ARGS; i++) {
        len += args[i].len;
    }

    /* not of r's pool: a batch sent outlives a request that went away */
    call = ngx_alloc(sizeof(ngx_http_callcenter_intake_call_t),
                     r->connection->log);
    if (call == NULL) {
        goto failed;
    }

    call->bytes = ngx_alloc(len ? len : 1, r->connection->log);
    if (call->bytes == NULL) {
        ngx_free(call);
        goto failed;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_free(call->bytes);
        ngx_free(call);
        goto failed;
    }

    cln->handler = ngx_http_callcenter_intake_detach;
    cln->data = call;

    call->request = r;
    call->cleanup = cln;
    call->handler = handler;

    p = call->bytes;

    for (i = 0; i < NGX_HTTP_CALLCENTER_INTAKE_ARGS; i++) {
        call->args[i].data = p;
        call->args[i].len = args[i].len;
        p = ngx_cpymem(p, args[i].data, args[i].len);
    }

    if (ngx_http_callcenter_intake_event.handler == NULL) {
        ngx_queue_init(&ngx_http_callcenter_intake_calls);
        ngx_http_callcenter_intake_event.handler =
                                             ngx_http_callcenter_intake_flush;
        ngx_http_callcenter_intake_event.log = ngx_cycle->log;
    }

    ngx_queue_insert_tail(&ngx_http_callcenter_intake_calls, &call->queue);

    if (!ngx_http_callcenter_intake_event.posted) {
        ngx_post_event(&ngx_http_callcenter_intake_event, &ngx_posted_events);
    }

    r->main->count++;

    return NGX_DONE;

failed:

    return ngx_http_callcenter_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "internal error");
}


/* the turn's calls, in batches of at most INTAKE_MAX */

static void
ngx_http_callcenter_intake_flush(ngx_event_t *ev)
{
    ngx_uint_t                          n;
    ngx_queue_t                         batch, *q;
    ngx_http_callcenter_intake_call_t  *call;

    while (!ngx_queue_empty(&ngx_http_callcenter_intake_calls)) {
        ngx_queue_init(&batch);
        n = 0;

        while (n < NGX_HTTP_CALLCENTER_INTAKE_MAX
               && !ngx_queue_empty(&ngx_http_callcenter_intake_calls))
        {
            q = ngx_queue_head(&ngx_http_callcenter_intake_calls);
            ngx_queue_remove(q);

            call = ngx_queue_data(q, ngx_http_callcenter_intake_call_t,
                                  queue);

            if (call->request == NULL) {
                /* its client left before it was sent: nothing is made */
                ngx_free(call->bytes);
                ngx_free(call);
                continue;
            }

            ngx_queue_insert_tail(&batch, q);
            n++;
        }

        if (n) {
            ngx_http_callcenter_intake_send(&batch, n);
        }
    }
}


static void
ngx_http_callcenter_intake_send(ngx_queue_t *calls, ngx_uint_t n)
{
    u_char                              *p;
    ngx_int_t                            rc;
    ngx_str_t                           *args;
    ngx_uint_t                           i;
    ngx_queue_t                         *q;
    ngx_http_request_t                  *r;
    ngx_http_callcenter_intake_call_t   *call;
    ngx_http_callcenter_intake_batch_t  *batch;
    u_char                               count[NGX_INT_T_LEN];

    if (n == 1) {
        /* alone: its own FCALL, with its request (the link's record takes
         * over watching it) */
        call = ngx_queue_data(ngx_queue_head(calls),
                              ngx_http_callcenter_intake_call_t, queue);
        r = call->request;
        call->cleanup->handler = NULL;

        rc = ngx_http_callcenter_redis_fcall(r, call->handler,
                                             "cc_call_create",
                                             NGX_HTTP_CALLCENTER_INTAKE_ARGS,
                                             call->args);
        ngx_free(call->bytes);
        call->bytes = NULL;

        if (rc != NGX_OK) {
            ngx_http_callcenter_intake_answer(call, NULL);
            return;
        }

        ngx_free(call);
        return;
    }

    batch = ngx_alloc(sizeof(ngx_http_callcenter_intake_batch_t),
                      ngx_cycle->log);
    args = ngx_alloc((1 + n * NGX_HTTP_CALLCENTER_INTAKE_ARGS)
                     * sizeof(ngx_str_t), ngx_cycle->log);

    if (batch == NULL || args == NULL) {
        if (args) {
            ngx_free(args);
        }

        if (batch) {
            ngx_free(batch);
            batch = NULL;
        }

    } else {
        ngx_queue_init(&batch->calls);
        ngx_queue_add(&batch->calls, calls);
        batch->n = n;

        p = ngx_sprintf(count, "%ui", n);
        args[0].data = count;
        args[0].len = p - count;

        i = 1;

        for (q = ngx_queue_head(&batch->calls);
             q != ngx_queue_sentinel(&batch->calls);
             q = ngx_queue_next(q))
        {
            call = ngx_queue_data(q, ngx_http_callcenter_intake_call_t,
                                  queue);
            ngx_memcpy(&args[i], call->args, sizeof(call->args));
            i += NGX_HTTP_CALLCENTER_INTAKE_ARGS;
        }

        rc = ngx_http_callcenter_redis_fcall_own(
                 ngx_http_callcenter_intake_reply, batch, "cc_calls_create",
                 1 + n * NGX_HTTP_CALLCENTER_INTAKE_ARGS, args);

        /* hiredis copied the arguments: the calls' go at once */
        ngx_free(args);

        for (q = ngx_queue_head(&batch->calls);
             q != ngx_queue_sentinel(&batch->calls);
             q = ngx_queue_next(q))
        {
            call = ngx_queue_data(q, ngx_http_callcenter_intake_call_t,
                                  queue);
            ngx_free(call->bytes);
            call->bytes = NULL;
        }

        if (rc == NGX_OK) {
            return;
        }

        calls = &batch->calls;
    }

    /* not sent (Redis away, or no memory): each answered 503, none made */
    while (!ngx_queue_empty(calls)) {
        q = ngx_queue_head(calls);
        ngx_queue_remove(q);
        ngx_http_callcenter_intake_answer(
            ngx_queue_data(q, ngx_http_callcenter_intake_call_t, queue),
            NULL);
    }

    if (batch) {
        ngx_free(batch);
    }
}


/*
 * cc_calls_create's answer: the answer (or error) of each call in their
 * order; anything else (an error of the whole, no answer) goes to each.
 */

static void
ngx_http_callcenter_intake_reply(void *data, redisReply *reply)
{
    ngx_uint_t                           i, each;
    ngx_queue_t                         *q;
    ngx_http_callcenter_intake_batch_t  *batch;

    batch = data;

    each = reply != NULL && reply->type == REDIS_REPLY_ARRAY
           && reply->elements == batch->n;

    for (i = 0; !ngx_queue_empty(&batch->calls); i++) {
        q = ngx_queue_head(&batch->calls);
        ngx_queue_remove(q);
        ngx_http_callcenter_intake_answer(
            ngx_queue_data(q, ngx_http_callcenter_intake_call_t, queue),
            each ? reply->element[i]
                 : (reply != NULL && reply->type == REDIS_REPLY_ERROR
                    ? reply : NULL));
    }

    ngx_free(batch);
}


static void
ngx_http_callcenter_intake_answer(ngx_http_callcenter_intake_call_t *call,
    redisReply *reply)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = call->request;

    if (r != NULL) {
        call->cleanup->handler = NULL;
        c = r->connection;
        call->handler(r, reply);
        ngx_http_run_posted_requests(c);
    }

    ngx_free(call->bytes);
    ngx_free(call);
}


/* the request went away first: its call is answered to nobody */

static void
ngx_http_callcenter_intake_detach(void *data)
{
    ngx_http_callcenter_intake_call_t  *call = data;

    call->request = NULL;
}
