/*
 * cc-load's run: one epoll loop (edge-triggered, non-blocking sockets) over
 * the streams and the publishers' keep-alive connections.  Phases: open
 * every stream (paced by --connect-rate), then either hold them (--idle)
 * or publish M rounds over the targets and wait for the tokens.  A token's
 * arrival is kept per (stream, token) pair; the figures are made from the
 * pairs at the end.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cc_load.h"

#define CC_READ_SIZE       65536
#define CC_CONNECT_BATCH   256   /* connects a turn when not paced */
#define CC_RESUMES_MAX     16    /* reconnects of one stream */
#define CC_WHY_MAX         16    /* kinds of failure told apart */

enum {
    CC_CONN_NONE = 0,   /* no socket */
    CC_CONN_CONNECTING,
    CC_CONN_WRITING,
    CC_CONN_HEAD,
    CC_CONN_BODY,
    CC_CONN_IDLE        /* a publisher's keep-alive, no request out */
};

enum {
    CC_STREAM_WAITING = 0,
    CC_STREAM_OPENING,
    CC_STREAM_OPEN,
    CC_STREAM_FAILED,   /* never opened */
    CC_STREAM_CLOSED    /* opened, lost for good */
};

enum {
    CC_REQ_PENDING = 0,
    CC_REQ_ACCEPTED,
    CC_REQ_REJECTED,
    CC_REQ_FAILED
};

typedef struct cc_run_s  cc_run_t;

typedef struct {
    int                 fd;
    uint8_t             stream;     /* a stream's, or a publisher's */
    uint8_t             state;
    uint8_t             readable;   /* EPOLLIN seen, not read to EAGAIN */
    uint8_t             rdhup;      /* the peer's FIN or an error is in */
    uint8_t             until_close;
    uint32_t            index;      /* the stream's or publisher's */
    unsigned            endpoint;
    char               *out;
    size_t              out_len;
    size_t              out_pos;
    char               *head;       /* a response head begun */
    size_t              head_len;
    cc_load_head_t      resp;
    cc_load_chunked_t   chunked;
    uint64_t            body_left;  /* of a Content-Length body */
    uint64_t            since;      /* connect or request started, ns */
} cc_conn_t;

typedef struct {
    cc_conn_t           conn;       /* first: epoll gives its address */
    cc_load_sse_t       sse;
    cc_run_t           *run;
    uint8_t             phase;
    uint8_t             resuming;
    uint16_t            resumes;
} cc_stream_t;

typedef struct {
    cc_conn_t           conns[CC_LOAD_ENDPOINTS_MAX];
    int64_t             request;    /* out now, -1: none */
} cc_publisher_t;

typedef struct {
    uint64_t            arrived;    /* ns, 0: not yet */
    uint32_t            event;      /* the stream's event it came in */
} cc_pair_t;

typedef struct {
    char                what[64];
    uint64_t            count;
} cc_why_t;

struct cc_run_s {
    const cc_load_plan_t     *plan;
    const cc_load_options_t  *opt;
    cc_load_report_t         *report;
    int                       ep;
    uint64_t                  now;
    uint64_t                  timeout;        /* ns */
    cc_stream_t              *streams;
    unsigned                  next_stream;    /* the next to connect */
    unsigned                  opening;        /* first opens under way */
    uint64_t                  connect_start;
    cc_publisher_t           *pubs;
    uint64_t                 *pair_base;      /* a target's first pair */
    cc_pair_t                *pairs;
    uint32_t                  rounds;         /* of publishing: 0 if idle */
    uint64_t                 *written;        /* a request's last byte, ns */
    uint8_t                  *outcome;
    uint64_t                  nrequests;
    uint64_t                  next_request;
    uint64_t                  done_requests;
    uint64_t                  expected;       /* so far: when to stop */
    uint64_t                  delivered;
    uint64_t                  unexpected;
    uint64_t                  first_publish;
    uint64_t                  last_publish;
    cc_why_t                  stream_why[CC_WHY_MAX];
    cc_why_t                  publish_why[CC_WHY_MAX];
};

static volatile sig_atomic_t  cc_stop;
static char                   cc_rbuf[CC_READ_SIZE];


static uint64_t
cc_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}


static void
cc_on_signal(int sig)
{
    (void) sig;
    cc_stop = 1;
}


/* counts a failure by kind, for the summary on stderr */
static void
cc_why(cc_why_t *why, const char *fmt, ...)
{
    char      what[64];
    va_list   ap;
    unsigned  i;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);

    for (i = 0; i < CC_WHY_MAX - 1 && why[i].count; i++) {
        if (strcmp(why[i].what, what) == 0) {
            break;
        }
    }

    if (why[i].count == 0) {
        snprintf(why[i].what, sizeof(why[i].what), "%s",
                 i == CC_WHY_MAX - 1 ? "other" : what);
    }

    why[i].count++;
}


static void
cc_why_print(const cc_why_t *why, const char *whose)
{
    unsigned  i;

    for (i = 0; i < CC_WHY_MAX && why[i].count; i++) {
        fprintf(stderr, "cc-load: %s: %" PRIu64 " x %s\n", whose,
                why[i].count, why[i].what);
    }
}


/* ---- connections */

static void
cc_conn_close(cc_conn_t *c)
{
    if (c->fd >= 0) {
        close(c->fd);   /* leaves the epoll set with it */
    }

    free(c->out);
    free(c->head);
    c->fd = -1;
    c->out = NULL;
    c->head = NULL;
    c->out_len = c->out_pos = c->head_len = 0;
    c->state = CC_CONN_NONE;
    c->readable = 0;
    c->rdhup = 0;
}


/* a new socket connecting to the endpoint; -1 with errno */
static int
cc_conn_open(cc_run_t *run, cc_conn_t *c)
{
    int                        fd, one, rc;
    struct epoll_event         ev;
    const cc_load_endpoint_t  *e;

    e = &run->plan->endpoints[c->endpoint];

    fd = socket(e->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd < 0) {
        return -1;
    }

    /* a request is one write, its latency counts */
    one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c;

    if (epoll_ctl(run->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        rc = errno;
        close(fd);
        errno = rc;
        return -1;
    }

    rc = connect(fd, (const struct sockaddr *) &e->addr, e->addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
        rc = errno;
        close(fd);
        errno = rc;
        return -1;
    }

    c->fd = fd;
    c->state = rc == 0 ? CC_CONN_WRITING : CC_CONN_CONNECTING;
    c->head_len = 0;
    c->readable = 0;
    c->rdhup = 0;

    return 0;
}


/* 0: all written or waiting for EPOLLOUT; -1: failed (errno) */
static int
cc_conn_send(cc_conn_t *c)
{
    ssize_t  n;

    while (c->out_pos < c->out_len) {
        n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos,
                 MSG_NOSIGNAL);
        if (n > 0) {
            c->out_pos += (size_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        return -1;
    }

    return 0;
}


/* 1: the head is in c->resp and *used bytes of p were its end; 0: more to
 * come; -1: no HTTP head within CC_LOAD_HEAD_MAX */
static int
cc_conn_head(cc_conn_t *c, const char *p, size_t n, size_t *used)
{
    int     rc;
    size_t  e, old, from, take;

    if (c->head_len == 0) {
        e = cc_load_head_end(p, n);
        if (e) {
            *used = e;
            return cc_load_head_parse(p, e, &c->resp) == 0 ? 1 : -1;
        }
    }

    if (c->head == NULL) {
        c->head = malloc(CC_LOAD_HEAD_MAX);
        if (c->head == NULL) {
            return -1;
        }
    }

    old = c->head_len;
    take = CC_LOAD_HEAD_MAX - old;
    if (take > n) {
        take = n;
    }
    memcpy(c->head + old, p, take);
    c->head_len += take;

    /* the old part held no blank line: it ends in the new bytes */
    from = old > 3 ? old - 3 : 0;
    e = cc_load_head_end(c->head + from, c->head_len - from);

    if (e == 0) {
        *used = n;
        return c->head_len < CC_LOAD_HEAD_MAX ? 0 : -1;
    }

    e += from;
    rc = cc_load_head_parse(c->head, e, &c->resp) == 0 ? 1 : -1;
    *used = e - old;
    free(c->head);
    c->head = NULL;
    c->head_len = 0;

    return rc;
}


/* the body's framing from the head: 1 if there is a body to read */
static int
cc_conn_framing(cc_conn_t *c)
{
    memset(&c->chunked, 0, sizeof(c->chunked));
    c->until_close = 0;
    c->body_left = 0;

    if (c->resp.status == 204 || c->resp.status == 304) {
        return 0;
    }

    if (c->resp.chunked) {
        return 1;
    }

    if (c->resp.content_length >= 0) {
        c->body_left = (uint64_t) c->resp.content_length;
        return c->body_left > 0;
    }

    c->until_close = 1;
    c->resp.close = 1;

    return 1;
}


/* feeds body bytes to sink; 1: the body ended, 0: more to come, -1: bad */
static int
cc_conn_body(cc_conn_t *c, const char *p, size_t n, cc_load_sink_pt sink,
    void *arg)
{
    size_t  take;

    if (c->resp.chunked) {
        if (cc_load_chunked_feed(&c->chunked, p, n, sink, arg) < 0) {
            return -1;
        }
        return c->chunked.done;
    }

    if (c->until_close) {
        return sink(arg, p, n) == 0 ? 0 : -1;
    }

    take = n < c->body_left ? n : (size_t) c->body_left;
    if (sink(arg, p, take) != 0) {
        return -1;
    }
    c->body_left -= take;

    return c->body_left == 0;
}


/* ---- streams */

static void cc_stream_start(cc_run_t *run, cc_stream_t *st);


static void
cc_stream_token(void *arg, uint32_t target, uint32_t seq)
{
    size_t             lo, hi, mid;
    uint32_t           index;
    uint64_t           r;
    cc_pair_t         *pair;
    cc_run_t          *run;
    cc_stream_t       *st;
    const cc_load_target_t  *t;

    st = arg;
    run = st->run;
    index = (uint32_t) (st - run->streams);

    if (target >= run->plan->ntargets || seq >= run->rounds) {
        run->unexpected++;
        return;
    }

    /* before its request was sent: an old one, from a stream's history */
    r = (uint64_t) seq * run->plan->ntargets + target;
    if (run->written[r] == 0) {
        run->unexpected++;
        return;
    }

    t = &run->plan->targets[target];
    lo = 0;
    hi = t->nlabels;
    while (lo < hi) {
        mid = (lo + hi) / 2;
        if (t->labels[mid] < index) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == t->nlabels || t->labels[lo] != index) {
        run->unexpected++;
        return;
    }

    pair = &run->pairs[run->pair_base[target] + (uint64_t) seq * t->nlabels
                       + lo];

    if (pair->arrived == 0) {
        pair->arrived = run->now;
        pair->event = st->sse.seq;
        if (run->outcome[r] == CC_REQ_ACCEPTED) {
            run->delivered++;
        }

    } else if (pair->event != st->sse.seq) {
        /* the same token in another event: sent twice */
        run->report->duplicated++;
        pair->event = st->sse.seq;
    }
}


static void
cc_stream_data(void *arg, const char *p, size_t n, uint32_t seq)
{
    (void) seq;
    cc_load_tokens_scan(p, n, cc_stream_token, arg);
}


/* the stream's connection is gone: resumed with Last-Event-ID if it was
 * open, else counted as failed */
static void
cc_stream_lost(cc_run_t *run, cc_stream_t *st, const char *fmt, ...)
{
    char     what[64];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);

    cc_conn_close(&st->conn);
    cc_load_sse_reset(&st->sse);

    if (st->phase == CC_STREAM_OPEN) {
        cc_why(run->stream_why, "lost: %s", what);
        if (!cc_stop && st->resumes < CC_RESUMES_MAX) {
            st->resumes++;
            st->resuming = 1;
            cc_stream_start(run, st);
            return;
        }
        st->phase = CC_STREAM_CLOSED;
        return;
    }

    cc_why(run->stream_why, "%s%s", st->resuming ? "resume: " : "", what);

    if (st->resuming) {
        st->phase = CC_STREAM_CLOSED;
        return;
    }

    st->phase = CC_STREAM_FAILED;
    run->opening--;
}


static void
cc_stream_start(cc_run_t *run, cc_stream_t *st)
{
    int                      resume;
    size_t                   i, n;
    const cc_load_stream_t  *s;

    s = &run->plan->streams[st - run->streams];

    /* resume where the last event seen left off, if its id is plain */
    resume = st->resuming && st->sse.id_len > 0;
    for (i = 0; resume && i < st->sse.id_len; i++) {
        if ((unsigned char) st->sse.id[i] < ' ' || st->sse.id[i] == 0x7f) {
            resume = 0;
        }
    }

    n = s->head_len + 2 + (resume ? 15 + st->sse.id_len + 2 : 0);
    st->conn.out = malloc(n);
    if (st->conn.out == NULL) {
        cc_stream_lost(run, st, "out of memory");
        return;
    }

    memcpy(st->conn.out, s->head, s->head_len);
    n = s->head_len;
    if (resume) {
        memcpy(st->conn.out + n, "Last-Event-ID: ", 15);
        memcpy(st->conn.out + n + 15, st->sse.id, st->sse.id_len);
        n += 15 + st->sse.id_len;
        memcpy(st->conn.out + n, "\r\n", 2);
        n += 2;
    }
    memcpy(st->conn.out + n, "\r\n", 2);
    st->conn.out_len = n + 2;
    st->conn.out_pos = 0;
    st->conn.since = run->now;
    st->phase = CC_STREAM_OPENING;

    if (cc_conn_open(run, &st->conn) != 0) {
        cc_stream_lost(run, st, "connect: %s", strerror(errno));
        return;
    }

    if (st->conn.state == CC_CONN_WRITING && cc_conn_send(&st->conn) != 0) {
        cc_stream_lost(run, st, "write: %s", strerror(errno));
    }
}


/* a stream's bytes; 0, or -1 when its connection was closed */
static int
cc_stream_input(cc_run_t *run, cc_stream_t *st, const char *p, size_t n)
{
    int         rc;
    size_t      used;
    cc_conn_t  *c;

    c = &st->conn;

    if (c->state == CC_CONN_HEAD) {
        rc = cc_conn_head(c, p, n, &used);
        if (rc == 0) {
            return 0;
        }
        if (rc < 0) {
            cc_stream_lost(run, st, "bad response head");
            return -1;
        }
        if (c->resp.status != 200) {
            cc_stream_lost(run, st, "status %d", c->resp.status);
            return -1;
        }
        if (!cc_conn_framing(c)) {
            cc_stream_lost(run, st, "no body");
            return -1;
        }

        c->state = CC_CONN_BODY;
        if (st->resuming) {
            run->report->reconnected++;
            st->resuming = 0;
        } else {
            run->report->opened++;
            run->opening--;
        }
        st->phase = CC_STREAM_OPEN;
        p += used;
        n -= used;
    }

    if (c->state != CC_CONN_BODY || n == 0) {
        return 0;
    }

    rc = cc_conn_body(c, p, n, cc_load_sse_feed, &st->sse);
    if (rc == 0) {
        return 0;
    }

    cc_stream_lost(run, st, rc > 0 ? "the response ended" : "bad framing");

    return -1;
}


/* ---- publishers */

static void
cc_publish_finish(cc_run_t *run, cc_publisher_t *pub, cc_conn_t *c,
    int status, const char *why)
{
    uint64_t                 r, k, base, nl;
    const cc_load_target_t  *t;

    r = (uint64_t) pub->request;
    pub->request = -1;
    run->done_requests++;
    run->last_publish = run->now;

    if (why != NULL) {
        run->outcome[r] = CC_REQ_FAILED;
        run->report->publish_failed++;
        cc_why(run->publish_why, "%s", why);
        cc_conn_close(c);
        return;
    }

    if (status >= 0 && status < CC_LOAD_STATUS_MAX) {
        run->report->status_codes[status]++;
    }

    if (status < 200 || status > 299) {
        run->outcome[r] = CC_REQ_REJECTED;
        cc_why(run->publish_why, "status %d", status);

    } else {
        run->outcome[r] = CC_REQ_ACCEPTED;
        run->report->accepted++;
        t = &run->plan->targets[r % run->plan->ntargets];
        nl = t->nlabels;
        base = run->pair_base[r % run->plan->ntargets]
               + (r / run->plan->ntargets) * nl;
        run->expected += nl;
        for (k = 0; k < nl; k++) {
            run->delivered += run->pairs[base + k].arrived != 0;
        }
    }

    if (c->resp.close) {
        cc_conn_close(c);
    } else {
        c->state = CC_CONN_IDLE;
    }
}


/* the publisher's next request, if any is left */
static void
cc_publish_next(cc_run_t *run, cc_publisher_t *pub)
{
    char                    *p;
    size_t                   n, len;
    uint32_t                 target, seq;
    uint64_t                 r;
    cc_conn_t               *c;
    const cc_load_target_t  *t;

    while (pub->request < 0 && run->next_request < run->nrequests && !cc_stop)
    {
        r = run->next_request++;
        pub->request = (int64_t) r;
        run->report->published++;
        target = (uint32_t) (r % run->plan->ntargets);
        seq = (uint32_t) (r / run->plan->ntargets);
        t = &run->plan->targets[target];
        c = &pub->conns[t->endpoint];

        len = t->head_len + 40 + cc_load_body_len(t);
        free(c->out);
        c->out = malloc(len);
        if (c->out == NULL) {
            cc_publish_finish(run, pub, c, 0, "out of memory");
            continue;
        }

        p = c->out;
        memcpy(p, t->head, t->head_len);
        p += t->head_len;
        n = cc_load_body_fill(p + 40, t, target, seq);
        p += snprintf(p, 40, "Content-Length: %zu\r\n\r\n", n);
        memmove(p, c->out + t->head_len + 40, n);
        c->out_len = (size_t) (p - c->out) + n;
        c->out_pos = 0;
        c->since = run->now;

        if (c->state == CC_CONN_NONE && cc_conn_open(run, c) != 0) {
            cc_publish_finish(run, pub, c, 0, strerror(errno));
            continue;
        }

        if (c->state == CC_CONN_IDLE) {
            c->state = CC_CONN_WRITING;
        }

        if (c->state != CC_CONN_WRITING) {
            return;
        }

        if (cc_conn_send(c) != 0) {
            cc_publish_finish(run, pub, c, 0, strerror(errno));
            continue;
        }

        if (c->out_pos == c->out_len) {
            run->written[r] = cc_clock();
            c->state = CC_CONN_HEAD;
        }
    }
}


static int
cc_discard(void *arg, const char *p, size_t n)
{
    (void) arg;
    (void) p;
    (void) n;
    return 0;
}


/* a publisher connection's bytes; 0, or -1 when it was closed */
static int
cc_publish_input(cc_run_t *run, cc_publisher_t *pub, cc_conn_t *c,
    const char *p, size_t n)
{
    int     rc;
    size_t  used;

    if (c->state == CC_CONN_HEAD) {
        rc = cc_conn_head(c, p, n, &used);
        if (rc == 0) {
            return 0;
        }
        if (rc < 0) {
            cc_publish_finish(run, pub, c, 0, "bad response head");
            return -1;
        }
        p += used;
        n -= used;

        if (c->resp.status < 200) {
            /* an interim answer: the real one follows */
            return n ? cc_publish_input(run, pub, c, p, n) : 0;
        }

        if (!cc_conn_framing(c)) {
            cc_publish_finish(run, pub, c, c->resp.status, NULL);
            return c->state == CC_CONN_NONE ? -1 : 0;
        }
        c->state = CC_CONN_BODY;
    }

    if (c->state == CC_CONN_BODY) {
        rc = cc_conn_body(c, p, n, cc_discard, NULL);
        if (rc < 0) {
            cc_publish_finish(run, pub, c, 0, "bad framing");
            return -1;
        }
        if (rc > 0) {
            cc_publish_finish(run, pub, c, c->resp.status, NULL);
            return c->state == CC_CONN_NONE ? -1 : 0;
        }
        return 0;
    }

    /* nothing was asked on this connection */
    cc_conn_close(c);

    return -1;
}


/* ---- the loop */

static int
cc_input(cc_run_t *run, cc_conn_t *c, const char *p, size_t n)
{
    if (c->stream) {
        return cc_stream_input(run, (cc_stream_t *) c, p, n);
    }

    return cc_publish_input(run, &run->pubs[c->index], c, p, n);
}


/* the peer closed or broke the connection; why NULL: orderly EOF */
static void
cc_broken(cc_run_t *run, cc_conn_t *c, const char *why)
{
    cc_publisher_t  *pub;

    if (c->stream) {
        cc_stream_lost(run, (cc_stream_t *) c, "%s",
                       why ? why : "closed by the server");
        return;
    }

    pub = &run->pubs[c->index];

    if (c->state == CC_CONN_BODY && c->until_close && why == NULL) {
        cc_publish_finish(run, pub, c, c->resp.status, NULL);
        cc_conn_close(c);

    } else if (c->state == CC_CONN_IDLE || c->state == CC_CONN_NONE) {
        cc_conn_close(c);   /* a keep-alive the server ended */

    } else {
        cc_publish_finish(run, pub, c, 0,
                          why ? why : "closed before the answer");
    }

    cc_publish_next(run, pub);
}


static void
cc_read(cc_run_t *run, cc_conn_t *c)
{
    ssize_t  n;

    for ( ;; ) {
        n = recv(c->fd, cc_rbuf, sizeof(cc_rbuf), 0);

        if (n > 0) {
            run->now = cc_clock();
            if (cc_input(run, c, cc_rbuf, (size_t) n) != 0) {
                break;
            }
            /* a short read emptied the socket: new bytes bring a new edge
             * (as nginx does); but a FIN already in would bring none */
            if ((size_t) n < sizeof(cc_rbuf) && !c->rdhup) {
                c->readable = 0;
                break;
            }
            continue;
        }

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->readable = 0;
            break;
        }

        cc_broken(run, c, n == 0 ? NULL : strerror(errno));
        return;
    }

    /* an answer read: the publisher's next request */
    if (!c->stream) {
        cc_publish_next(run, &run->pubs[c->index]);
    }
}


static void
cc_event(cc_run_t *run, cc_conn_t *c, uint32_t events)
{
    int        err;
    socklen_t  len;

    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        c->readable = 1;
    }

    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        c->rdhup = 1;
    }

    if (c->state == CC_CONN_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }

        err = 0;
        len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        if (err != 0) {
            cc_broken(run, c, strerror(err));
            return;
        }
        c->state = CC_CONN_WRITING;
    }

    if (c->state == CC_CONN_WRITING) {
        if (cc_conn_send(c) != 0) {
            cc_broken(run, c, strerror(errno));
            return;
        }
        if (c->out_pos < c->out_len) {
            return;
        }
        if (!c->stream) {
            run->written[run->pubs[c->index].request] = cc_clock();
        }
        free(c->out);
        c->out = NULL;
        c->state = CC_CONN_HEAD;
    }

    if (c->readable && c->state != CC_CONN_NONE) {
        cc_read(run, c);
    }
}


/* connects the next streams, at most --connect-rate a second */
static void
cc_streams_start(cc_run_t *run)
{
    uint64_t  allowed, started;

    started = run->next_stream;

    if (run->opt->connect_rate > 0) {
        allowed = (uint64_t) ((double) (run->now - run->connect_start) / 1e9
                              * run->opt->connect_rate) + 1;
        allowed = allowed > started ? allowed - started : 0;
    } else {
        allowed = CC_CONNECT_BATCH;
    }

    while (allowed-- > 0 && run->next_stream < run->plan->nstreams) {
        run->opening++;
        cc_stream_start(run, &run->streams[run->next_stream++]);
    }
}


/* every stream or request out longer than the timeout fails */
static void
cc_timeouts(cc_run_t *run)
{
    unsigned         i, e;
    cc_conn_t       *c;
    cc_stream_t     *st;
    cc_publisher_t  *pub;

    for (i = 0; i < run->next_stream; i++) {
        st = &run->streams[i];
        if (st->phase == CC_STREAM_OPENING
            && run->now - st->conn.since > run->timeout)
        {
            cc_stream_lost(run, st, "no answer in time");
        }
    }

    for (i = 0; i < run->opt->publishers; i++) {
        pub = &run->pubs[i];
        if (pub->request < 0) {
            continue;
        }
        for (e = 0; e < run->plan->nendpoints; e++) {
            c = &pub->conns[e];
            if (c->state != CC_CONN_NONE && c->state != CC_CONN_IDLE
                && run->now - c->since > run->timeout)
            {
                cc_publish_finish(run, pub, c, 0, "no answer in time");
                cc_publish_next(run, pub);
                break;
            }
        }
    }
}


/* one turn: waits up to ms for events and handles them; -1 on an error
 * of epoll itself */
static int
cc_turn(cc_run_t *run, int ms, const sigset_t *mask)
{
    int                 i, n;
    struct epoll_event  evs[512];

    n = epoll_pwait(run->ep, evs, 512, ms, mask);
    run->now = cc_clock();

    if (n < 0) {
        return errno == EINTR ? 0 : -1;
    }

    for (i = 0; i < n; i++) {
        cc_event(run, evs[i].data.ptr, evs[i].events);
    }

    return 0;
}


static int
cc_ready(cc_run_t *run)
{
    char   tmp[4096];
    FILE  *f;

    if (run->opt->ready_file == NULL) {
        if (run->opt->idle) {
            printf("ready %" PRIu64 "\n", run->report->opened);
            fflush(stdout);
        }
        return 0;
    }

    /* whole or not at all for a reader that polls the file */
    snprintf(tmp, sizeof(tmp), "%s.tmp", run->opt->ready_file);
    f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "cc-load: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "ready %" PRIu64 "\n", run->report->opened);
    if (fclose(f) != 0 || rename(tmp, run->opt->ready_file) != 0) {
        fprintf(stderr, "cc-load: %s: %s\n", run->opt->ready_file,
                strerror(errno));
        return -1;
    }

    return 0;
}


static void
cc_figures(cc_run_t *run)
{
    size_t                   n;
    uint64_t                 r, k, base, nl, *lat;
    unsigned                 i;
    cc_pair_t               *pair;
    struct rusage            ru;
    cc_load_report_t        *rep;
    const cc_load_target_t  *t;

    rep = run->report;
    rep->streams = run->plan->nstreams;
    rep->failed = rep->streams - rep->opened;
    rep->rejected = rep->published - rep->accepted;
    rep->publish_seconds = run->first_publish && run->last_publish
        ? (double) (run->last_publish - run->first_publish) / 1e9 : 0;

    for (i = 0; i < run->plan->nstreams; i++) {
        rep->events += run->streams[i].sse.events;
        rep->closed += run->streams[i].phase == CC_STREAM_CLOSED
                       || (run->streams[i].phase == CC_STREAM_OPENING
                           && run->streams[i].resuming);
    }

    lat = malloc((run->expected + 1) * sizeof(uint64_t));
    n = 0;

    for (r = 0; r < run->nrequests; r++) {
        t = &run->plan->targets[r % run->plan->ntargets];
        nl = t->nlabels;
        base = run->pair_base[r % run->plan->ntargets]
               + (r / run->plan->ntargets) * nl;

        for (k = 0; k < nl; k++) {
            pair = &run->pairs[base + k];
            if (run->outcome[r] != CC_REQ_ACCEPTED) {
                run->unexpected += pair->arrived != 0;
                continue;
            }
            rep->expected++;
            if (pair->arrived == 0) {
                continue;
            }
            rep->delivered++;
            if (lat != NULL && n < run->expected) {
                lat[n++] = pair->arrived > run->written[r]
                           ? pair->arrived - run->written[r] : 0;
            }
        }
    }

    rep->lost = rep->expected - rep->delivered;
    rep->unexpected = run->unexpected;

    if (lat != NULL) {
        cc_load_latencies(rep, lat, n);
        free(lat);
    }

    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        rep->cpu_seconds = (double) ru.ru_utime.tv_sec
                           + (double) ru.ru_utime.tv_usec / 1e6
                           + (double) ru.ru_stime.tv_sec
                           + (double) ru.ru_stime.tv_usec / 1e6;
    }
}


uint64_t
cc_load_sockets(const cc_load_plan_t *plan, const cc_load_options_t *opt)
{
    unsigned  i, e;
    uint64_t  used;

    used = 0;

    if (!opt->idle) {
        for (e = 0; e < plan->nendpoints; e++) {
            for (i = 0; i < plan->ntargets; i++) {
                if (plan->targets[i].endpoint == e) {
                    used++;
                    break;
                }
            }
        }
    }

    return plan->nstreams + used * opt->publishers;
}


static int
cc_setup(cc_run_t *run)
{
    uint64_t   total;
    unsigned   i, e;

    run->streams = calloc(run->plan->nstreams + 1, sizeof(cc_stream_t));
    run->pubs = calloc(run->opt->publishers, sizeof(cc_publisher_t));
    run->rounds = run->opt->idle ? 0 : run->opt->messages;
    run->nrequests = (uint64_t) run->plan->ntargets * run->rounds;
    run->pair_base = calloc(run->plan->ntargets + 1, sizeof(uint64_t));
    run->pairs = calloc(run->plan->nlabels * run->rounds + 1,
                        sizeof(cc_pair_t));
    run->written = calloc(run->nrequests + 1, sizeof(uint64_t));
    run->outcome = calloc(run->nrequests + 1, 1);

    if (run->streams == NULL || run->pubs == NULL || run->pair_base == NULL
        || run->pairs == NULL || run->written == NULL || run->outcome == NULL)
    {
        fprintf(stderr, "cc-load: out of memory\n");
        return -1;
    }

    for (i = 0; i < run->plan->nstreams; i++) {
        run->streams[i].conn.fd = -1;
        run->streams[i].conn.stream = 1;
        run->streams[i].conn.index = i;
        run->streams[i].conn.endpoint = run->plan->streams[i].endpoint;
        run->streams[i].run = run;
        run->streams[i].sse.on_data = cc_stream_data;
        run->streams[i].sse.arg = &run->streams[i];
    }

    for (i = 0; i < run->opt->publishers; i++) {
        run->pubs[i].request = -1;
        for (e = 0; e < CC_LOAD_ENDPOINTS_MAX; e++) {
            run->pubs[i].conns[e].fd = -1;
            run->pubs[i].conns[e].index = i;
            run->pubs[i].conns[e].endpoint = e;
        }
    }

    total = 0;
    for (i = 0; i < run->plan->ntargets; i++) {
        run->pair_base[i] = total;
        total += (uint64_t) run->plan->targets[i].nlabels * run->rounds;
    }

    run->ep = epoll_create1(EPOLL_CLOEXEC);
    if (run->ep < 0) {
        fprintf(stderr, "cc-load: epoll: %s\n", strerror(errno));
        return -1;
    }

    return 0;
}


static void
cc_teardown(cc_run_t *run)
{
    unsigned  i, e;

    if (run->streams != NULL) {
        for (i = 0; i < run->plan->nstreams; i++) {
            cc_conn_close(&run->streams[i].conn);
            cc_load_sse_free(&run->streams[i].sse);
        }
    }

    if (run->pubs != NULL) {
        for (i = 0; i < run->opt->publishers; i++) {
            for (e = 0; e < CC_LOAD_ENDPOINTS_MAX; e++) {
                cc_conn_close(&run->pubs[i].conns[e]);
            }
        }
    }

    if (run->ep >= 0) {
        close(run->ep);
    }

    free(run->streams);
    free(run->pubs);
    free(run->pair_base);
    free(run->pairs);
    free(run->written);
    free(run->outcome);
}


int
cc_load_run(const cc_load_plan_t *plan, const cc_load_options_t *opt,
    cc_load_report_t *report)
{
    int                rc, ms;
    unsigned           i;
    uint64_t           last_check;
    sigset_t           block, wait;
    cc_run_t           run;
    struct sigaction   sa;

    memset(&run, 0, sizeof(run));
    memset(report, 0, sizeof(*report));
    run.plan = plan;
    run.opt = opt;
    run.report = report;
    run.ep = -1;
    run.timeout = (uint64_t) (opt->timeout * 1e9);

    /* SIGINT/SIGTERM only inside epoll_pwait: no lost wake-up */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cc_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &wait);
    sigdelset(&wait, SIGINT);
    sigdelset(&wait, SIGTERM);

    rc = cc_setup(&run);
    if (rc != 0) {
        cc_teardown(&run);
        return -1;
    }

    run.now = cc_clock();
    run.connect_start = run.now;
    last_check = run.now;

    /* open every stream */
    while (!cc_stop && rc == 0
           && (run.next_stream < plan->nstreams || run.opening > 0))
    {
        cc_streams_start(&run);
        ms = run.next_stream < plan->nstreams ? (opt->connect_rate > 0 ? 5 : 0)
             : 100;
        rc = cc_turn(&run, ms, &wait);
        if (run.now - last_check > 100000000u) {
            cc_timeouts(&run);
            last_check = run.now;
        }
    }

    report->open_seconds = (double) (run.now - run.connect_start) / 1e9;

    if (rc == 0 && !cc_stop && cc_ready(&run) != 0) {
        rc = -1;
    }

    /* hold them, or publish and wait for the tokens */
    if (opt->idle) {
        while (rc == 0 && !cc_stop) {
            rc = cc_turn(&run, 1000, &wait);
            cc_timeouts(&run);
        }

    } else if (rc == 0 && !cc_stop) {
        run.first_publish = run.now;
        for (i = 0; i < opt->publishers; i++) {
            cc_publish_next(&run, &run.pubs[i]);
        }

        while (rc == 0 && !cc_stop
               && (run.done_requests < run.nrequests
                   || (run.delivered < run.expected
                       && run.now - run.last_publish < run.timeout)))
        {
            rc = cc_turn(&run, 50, &wait);
            if (run.now - last_check > 100000000u) {
                cc_timeouts(&run);
                last_check = run.now;
            }
        }
    }

    if (rc != 0 && errno) {
        fprintf(stderr, "cc-load: epoll: %s\n", strerror(errno));
    }

    cc_figures(&run);
    cc_why_print(run.stream_why, "streams");
    cc_why_print(run.publish_why, "publishes");
    cc_teardown(&run);

    return 0;
}
