#ifndef CC_LOAD_H
#define CC_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * cc-load, the benchmarks' load client (bench/cc-load.c has its usage).
 * The pure parts, unit-tested by bench/test_cc_load.c: the plan
 * (cc_load_plan.c), HTTP heads, chunked bodies, SSE and tokens
 * (cc_load_http.c), percentiles and the report (cc_load_stats.c); the
 * event loop is cc_load_loop.c.
 */

#define CC_LOAD_SOCKETS_MAX    30000
#define CC_LOAD_PLAN_MAX       (64u << 20)  /* bytes of plan file */
#define CC_LOAD_FIELD_MAX      (1u << 20)   /* a body, a header list */
#define CC_LOAD_PATH_MAX       8192
#define CC_LOAD_LABEL_MAX      128
#define CC_LOAD_ENDPOINTS_MAX  16
#define CC_LOAD_PAIRS_MAX      (8u << 20)   /* (stream, token) pairs */
#define CC_LOAD_HEAD_MAX       16384        /* a response head */
#define CC_LOAD_LINE_MAX       (256u << 10) /* an SSE line */
#define CC_LOAD_ID_MAX         256          /* an SSE id kept to resume */
#define CC_LOAD_TOKEN_MAX      32           /* "cct" + 2 x (10 digits + x) */


/* ---- the plan */

typedef struct {
    char                     *host;      /* "host:port" as written */
    struct sockaddr_storage   addr;
    socklen_t                 addrlen;
} cc_load_endpoint_t;

typedef struct {
    char       *label;
    unsigned    endpoint;
    char       *head;      /* request line and headers, each CRLF-ended */
    size_t      head_len;
} cc_load_stream_t;

typedef struct {
    unsigned    endpoint;
    char       *head;      /* request line and headers but Content-Length */
    size_t      head_len;
    char       *body;      /* as written, "%T" where the token goes */
    size_t      body_len;
    unsigned    tokens;    /* how many "%T" */
    uint32_t   *labels;    /* stream indexes, sorted */
    unsigned    nlabels;
} cc_load_target_t;

typedef struct {
    cc_load_endpoint_t  endpoints[CC_LOAD_ENDPOINTS_MAX];
    unsigned            nendpoints;
    cc_load_stream_t   *streams;
    unsigned            nstreams;
    cc_load_target_t   *targets;
    unsigned            ntargets;
    uint64_t            nlabels;   /* sum of the targets' nlabels */
    char                err[256];  /* why a plan was refused */
} cc_load_plan_t;

/* 0, or -1 with plan->err set ("line N: ..."); free it either way */
int cc_load_plan_parse(cc_load_plan_t *plan, const char *text, size_t len);
void cc_load_plan_free(cc_load_plan_t *plan);

/* "cct<target>x<seq>x" into buf (CC_LOAD_TOKEN_MAX), its length */
size_t cc_load_token_format(char *buf, uint32_t target, uint32_t seq);

/* target's body with its tokens for round seq, into buf (at least
 * cc_load_body_len()), its length */
size_t cc_load_body_len(const cc_load_target_t *t);
size_t cc_load_body_fill(char *buf, const cc_load_target_t *t,
    unsigned index, uint32_t seq);


/* ---- HTTP responses, chunked bodies, SSE */

typedef struct {
    int         status;
    int64_t     content_length;  /* -1: none */
    unsigned    chunked:1;
    unsigned    close:1;         /* the server closes after this response */
} cc_load_head_t;

/* the length of a complete head (through its blank line) at the start of
 * p[0..n), 0 if not complete yet */
size_t cc_load_head_end(const char *p, size_t n);

/* 0, or -1 for no HTTP/1.x status line or a bad framing header */
int cc_load_head_parse(const char *p, size_t n, cc_load_head_t *h);

/* what a body's bytes go to: 0, or -1 to stop with an error */
typedef int (*cc_load_sink_pt)(void *arg, const char *p, size_t n);

typedef struct {
    uint64_t    left;      /* data bytes left in this chunk */
    unsigned    state;
    unsigned    digits;
    unsigned    done:1;    /* the last chunk and the trailer were read */
} cc_load_chunked_t;

/* decodes chunked transfer coding; returns how many bytes it consumed
 * (fewer than n only once done), -1 on bad framing or a sink's error */
ssize_t cc_load_chunked_feed(cc_load_chunked_t *c, const char *p, size_t n,
    cc_load_sink_pt sink, void *arg);

/* one data line of the event number seq (the count of blank lines seen) */
typedef void (*cc_load_data_pt)(void *arg, const char *p, size_t n,
    uint32_t seq);

typedef struct {
    char             *line;     /* a line begun in an earlier feed */
    size_t            len;
    size_t            cap;
    uint32_t          seq;      /* blank lines seen: the event number */
    uint64_t          events;   /* events dispatched (with data) */
    unsigned          cr:1;     /* last byte was CR: skip an LF next */
    unsigned          data:1;   /* the current event has data */
    unsigned          started:1;
    size_t            id_len;   /* the last event id, set at dispatch */
    size_t            next_id_len;
    char              id[CC_LOAD_ID_MAX];
    char              next_id[CC_LOAD_ID_MAX];
    cc_load_data_pt   on_data;
    void             *arg;
} cc_load_sse_t;

/* 0, or -1 for a line over CC_LOAD_LINE_MAX or no memory; also a
 * cc_load_sink_pt (arg is the cc_load_sse_t) */
int cc_load_sse_feed(void *sse, const char *p, size_t n);
/* forgets a line begun: the connection ended, the next one starts anew */
void cc_load_sse_reset(cc_load_sse_t *s);
void cc_load_sse_free(cc_load_sse_t *s);

typedef void (*cc_load_token_pt)(void *arg, uint32_t target, uint32_t seq);

/* calls found for each token in p[0..n), returns how many */
size_t cc_load_tokens_scan(const char *p, size_t n, cc_load_token_pt found,
    void *arg);


/* ---- figures */

#define CC_LOAD_STATUS_MAX  600

typedef struct {
    uint64_t    streams;
    uint64_t    opened;
    uint64_t    failed;
    uint64_t    published;
    uint64_t    accepted;
    uint64_t    rejected;
    uint64_t    expected;
    uint64_t    delivered;
    uint64_t    lost;
    uint64_t    duplicated;
    double      publish_seconds;
    double      p50_ms;
    double      p90_ms;
    double      p99_ms;
    double      max_ms;
    uint64_t    status_codes[CC_LOAD_STATUS_MAX];
    /* beyond the brief's interface */
    uint64_t    publish_failed;  /* published, no answer */
    uint64_t    unexpected;      /* tokens where none was expected */
    uint64_t    reconnected;     /* streams resumed with Last-Event-ID */
    uint64_t    closed;          /* streams open once, not at the end */
    uint64_t    events;          /* SSE events parsed */
    double      open_seconds;    /* until every stream answered or failed */
    double      cpu_seconds;     /* this process, user + system */
} cc_load_report_t;

/* the p-th percentile (nearest rank) of v[0..n), sorted; 0 if n is 0 */
uint64_t cc_load_percentile(const uint64_t *v, size_t n, double p);

/* sorts latencies (ns) and sets the report's percentiles from them */
void cc_load_latencies(cc_load_report_t *r, uint64_t *v, size_t n);

/* the report as one JSON line */
void cc_load_report_print(FILE *f, const cc_load_report_t *r);


/* ---- the run */

typedef struct {
    uint32_t     messages;
    unsigned     publishers;
    double       timeout;
    double       connect_rate;   /* 0: unlimited */
    unsigned     idle:1;
    const char  *ready_file;
} cc_load_options_t;

/* sockets the run opens at most */
uint64_t cc_load_sockets(const cc_load_plan_t *plan,
    const cc_load_options_t *opt);

/* 0, or -1 when it could not run at all (message on stderr) */
int cc_load_run(const cc_load_plan_t *plan, const cc_load_options_t *opt,
    cc_load_report_t *report);

#endif /* CC_LOAD_H */
