/*
 * The pure parts of cc-load: the plan, response heads, chunked decoding,
 * SSE, tokens, percentiles and the report.
 */

#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cc_load.h"
#include "cc_test.h"

#define PLAN(s)  cc_load_plan_parse(&plan, s, strlen(s))

static cc_load_plan_t  plan;


static int
plan_fails(const char *text, const char *why)
{
    int  rc;

    rc = PLAN(text);
    if (rc == 0 || strstr(plan.err, why) == NULL) {
        fprintf(stderr, "plan %s: rc %d, \"%s\"\n", text, rc, plan.err);
        rc = 0;
    }
    cc_load_plan_free(&plan);

    return rc != 0;
}


static void
test_plan(void)
{
    char  body[256];
    size_t n;

    CC_CHECK(PLAN("# a comment\n\n"
                  "S\tcaller-1\t127.0.0.1:8080\t/call/a/events?token=x\t"
                  "X-Call-Token: t1\\nX-Other: two words\n"
                  "S\tagent\tlocalhost:8081\t/agent/events\t"
                  "Authorization: Basic YQ==\\nAccept: */*\n"
                  "P\t127.0.0.1:8080\tPOST\t/call/a/messages\t"
                  "Content-Type: application/json\t"
                  "{\"type\":\"chat\",\"text\":\"%T and %T, 100%\"}\t"
                  "agent,caller-1\n"
                  "P\t[::1]:8082\tPUT\t/pub\t-\tplain\t-\r\n") == 0);
    CC_CHECK(plan.nstreams == 2 && plan.ntargets == 2);
    CC_CHECK(plan.nendpoints == 3);
    CC_CHECK(strcmp(plan.streams[0].label, "caller-1") == 0);
    CC_CHECK(strcmp(plan.streams[0].head,
                    "GET /call/a/events?token=x HTTP/1.1\r\n"
                    "Host: 127.0.0.1:8080\r\n"
                    "Accept: text/event-stream\r\n"
                    "X-Call-Token: t1\r\nX-Other: two words\r\n") == 0);
    CC_CHECK(plan.streams[0].head_len == strlen(plan.streams[0].head));
    /* an Accept given is kept, not doubled */
    CC_CHECK(strcmp(plan.streams[1].head,
                    "GET /agent/events HTTP/1.1\r\nHost: localhost:8081\r\n"
                    "Authorization: Basic YQ==\r\nAccept: */*\r\n") == 0);
    CC_CHECK(plan.streams[0].endpoint == plan.targets[0].endpoint);
    CC_CHECK(strcmp(plan.targets[0].head,
                    "POST /call/a/messages HTTP/1.1\r\n"
                    "Host: 127.0.0.1:8080\r\n"
                    "Content-Type: application/json\r\n") == 0);
    CC_CHECK(plan.targets[0].tokens == 2);
    CC_CHECK(plan.targets[0].nlabels == 2);
    CC_CHECK(plan.targets[0].labels[0] == 0 && plan.targets[0].labels[1] == 1);
    CC_CHECK(plan.targets[1].nlabels == 0 && plan.nlabels == 2);
    CC_CHECK(strcmp(plan.targets[1].body, "plain") == 0);

    CC_CHECK(cc_load_body_len(&plan.targets[0]) < sizeof(body));
    n = cc_load_body_fill(body, &plan.targets[0], 7, 12);
    CC_CHECK(n == strlen("{\"type\":\"chat\",\"text\":\"cct7x12x and cct7x12x, "
                         "100%\"}"));
    CC_CHECK(memcmp(body, "{\"type\":\"chat\",\"text\":\"cct7x12x and "
                    "cct7x12x, 100%\"}", n) == 0);
    n = cc_load_token_format(body, 4294967295u, 4294967295u);
    CC_CHECK(n == 25 && n < CC_LOAD_TOKEN_MAX);
    cc_load_plan_free(&plan);

    CC_CHECK(plan_fails("", "empty"));
    CC_CHECK(plan_fails("X\ta\n", "line 1: a line starts with S or P"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:1\t/\n", "S takes 4 fields"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:1\t/\t-\t\n", "S takes 4 fields"));
    CC_CHECK(plan_fails("S\ta\t10.0.0.1:80\t/\t-\n", "not loopback"));
    CC_CHECK(plan_fails("S\ta\texample.com:80\t/\t-\n", "no loopback"));
    CC_CHECK(plan_fails("S\ta\t[::2]:80\t/\t-\n", "not loopback"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:0\t/\t-\n", "bad port"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:70000\t/\t-\n", "bad port"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1\t/\t-\n", "no host:port"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\tx\t-\n", "starts with /"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/a b\t-\n", "space"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\tNoColon\n", "Name: value"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\tA: b\\n\n", "Name: value"));
    CC_CHECK(plan_fails("S\ta,b\t127.0.0.1:80\t/\t-\n", "bad label"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\t-\nS\ta\t127.0.0.1:80\t/\t-\n",
                        "names two streams"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\t-\n"
                        "P\t127.0.0.1:80\tPOST\t/\t-\tb\ta,c\n",
                        "line 2: no stream is labelled \"c\""));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\t-\n"
                        "P\t127.0.0.1:80\tPOST\t/\t-\tb\ta,\n", "bad label"));
    CC_CHECK(plan_fails("S\ta\t127.0.0.1:80\t/\t-\nS\tb\t127.0.0.1:80\t/\t-\n"
                        "P\t127.0.0.1:80\tPOST\t/\t-\tb\tb,a,b\n",
                        "named twice"));
    CC_CHECK(plan_fails("P\t127.0.0.1:80\tpost\t/\t-\tb\t-\n", "bad method"));
    CC_CHECK(plan_fails("P\t127.0.0.1:80\tPOST\t/\tContent-Length: 3\tb\t-\n",
                        "computed"));
    CC_CHECK(plan_fails("P\t127.0.0.1:80\tPOST\t/\t-\tb\n", "P takes 6"));
    CC_CHECK(cc_load_plan_parse(&plan, "S\ta\t127.0.0.1:80\t/\t-\n\0\n", 22)
             != 0 && strstr(plan.err, "line 2: a NUL byte") != NULL);
    cc_load_plan_free(&plan);
}


static void
test_head(void)
{
    const char      *h;
    cc_load_head_t   head;

    h = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
        "Content-Type: text/event-stream\r\n"
        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\n";
    CC_CHECK(cc_load_head_end(h, strlen(h)) == strlen(h) - 3);
    CC_CHECK(cc_load_head_end(h, strlen(h) - 4) == 0);
    CC_CHECK(cc_load_head_parse(h, strlen(h) - 3, &head) == 0);
    CC_CHECK(head.status == 200 && head.chunked && !head.close);
    CC_CHECK(head.content_length == -1);

    h = "HTTP/1.1 202 Accepted\r\ncontent-length:  12 \r\n"
        "Connection: Close\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) == 0);
    CC_CHECK(head.status == 202 && !head.chunked && head.close);
    CC_CHECK(head.content_length == 12);

    h = "HTTP/1.0 201 Created\nContent-Length: 0\n\n";
    CC_CHECK(cc_load_head_end(h, strlen(h)) == strlen(h));
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) == 0);
    CC_CHECK(head.status == 201 && head.close && head.content_length == 0);

    h = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) == 0 && !head.close);

    h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
        "Content-Length: 4\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) == 0);
    CC_CHECK(head.chunked && head.content_length == -1);

    h = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) != 0);
    h = "HTTP/1.1 200 OK\r\nContent-Length: 4x\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) != 0);
    h = "HTTP/2 200\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) != 0);
    h = "HTTP/1.1 2000 OK\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) != 0);
    h = "SSH-2.0-OpenSSH\r\n\r\n";
    CC_CHECK(cc_load_head_parse(h, strlen(h), &head) != 0);
}


typedef struct {
    char    buf[1024];
    size_t  len;
} sink_t;


static int
sink_add(void *arg, const char *p, size_t n)
{
    sink_t  *s;

    s = arg;
    if (s->len + n > sizeof(s->buf)) {
        return -1;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;

    return 0;
}


/* the whole of in, fed at once and a byte at a time */
static int
chunked_decodes(const char *in, const char *out, size_t rest)
{
    size_t             i, len;
    ssize_t            n;
    sink_t             s;
    cc_load_chunked_t  c;

    len = strlen(in);

    memset(&s, 0, sizeof(s));
    memset(&c, 0, sizeof(c));
    n = cc_load_chunked_feed(&c, in, len, sink_add, &s);
    if (n < 0 || (size_t) n != len - rest || !c.done || s.len != strlen(out)
        || memcmp(s.buf, out, s.len) != 0)
    {
        return 0;
    }

    memset(&s, 0, sizeof(s));
    memset(&c, 0, sizeof(c));
    for (i = 0; i < len - rest; i++) {
        if (cc_load_chunked_feed(&c, in + i, 1, sink_add, &s) != 1) {
            return 0;
        }
    }

    return c.done && s.len == strlen(out) && memcmp(s.buf, out, s.len) == 0;
}


static int
chunked_fails(const char *in)
{
    sink_t             s;
    cc_load_chunked_t  c;

    memset(&s, 0, sizeof(s));
    memset(&c, 0, sizeof(c));

    return cc_load_chunked_feed(&c, in, strlen(in), sink_add, &s) < 0;
}


static void
test_chunked(void)
{
    sink_t             s;
    cc_load_chunked_t  c;

    CC_CHECK(chunked_decodes("5\r\nhello\r\n0\r\n\r\n", "hello", 0));
    /* what follows the last chunk is the next response's */
    CC_CHECK(chunked_decodes("3;ext=1\r\nabc\r\nA\r\n0123456789\r\n"
                             "0\r\nX-Trailer: t\r\n\r\nHTTP/1.1",
                             "abc0123456789", 8));
    CC_CHECK(chunked_decodes("1\nx\n0\n\n", "x", 0));
    CC_CHECK(chunked_decodes("0\r\n\r\n", "", 0));
    CC_CHECK(chunked_fails("x\r\n"));
    CC_CHECK(chunked_fails("\r\n"));
    CC_CHECK(chunked_fails("5\r\nhelloX\r\n"));
    CC_CHECK(chunked_fails("5x\r\n"));
    CC_CHECK(chunked_fails("1000000000000000\r\n"));

    /* not done while the body goes on; the sink's error stops it */
    memset(&s, 0, sizeof(s));
    memset(&c, 0, sizeof(c));
    CC_CHECK(cc_load_chunked_feed(&c, "4\r\nab", 5, sink_add, &s) == 5);
    CC_CHECK(!c.done && s.len == 2);
    s.len = sizeof(s.buf);
    CC_CHECK(cc_load_chunked_feed(&c, "cd", 2, sink_add, &s) < 0);
}


typedef struct {
    char      data[1024];
    size_t    len;
    uint32_t  seqs[16];
    unsigned  n;
} seen_t;


static void
on_data(void *arg, const char *p, size_t n, uint32_t seq)
{
    seen_t  *s;

    s = arg;
    if (s->len + n + 1 < sizeof(s->data)) {
        memcpy(s->data + s->len, p, n);
        s->len += n;
        s->data[s->len++] = '|';
    }
    if (s->n < 16) {
        s->seqs[s->n++] = seq;
    }
}


static void
test_sse(void)
{
    size_t          i, len;
    seen_t          seen;
    const char     *in;
    cc_load_sse_t   sse;
    int             step;

    in = "\xef\xbb\xbf: ping\r\n\r\n"
         "id: 1-0\r\nevent: message\r\ndata: {\"a\":1}\r\ndata:two\r\n\r\n"
         "data\rid:2-0\r\r"
         ": comment\n\n"
         "id: 3-0\ndata: three\n";

    len = strlen(in);

    for (step = 1; step <= 7; step += 6) {
        memset(&seen, 0, sizeof(seen));
        memset(&sse, 0, sizeof(sse));
        sse.on_data = on_data;
        sse.arg = &seen;

        for (i = 0; i < len; i += (size_t) step) {
            CC_CHECK(cc_load_sse_feed(&sse, in + i,
                     len - i < (size_t) step ? len - i : (size_t) step) == 0);
        }

        CC_CHECK(seen.len == strlen("{\"a\":1}|two||three|"));
        CC_CHECK(memcmp(seen.data, "{\"a\":1}|two||three|", seen.len) == 0);
        CC_CHECK(seen.n == 4 && seen.seqs[0] == 1 && seen.seqs[1] == 1
                 && seen.seqs[2] == 2 && seen.seqs[3] == 4);
        /* two events with data; the last one has no blank line yet */
        CC_CHECK(sse.events == 2);
        CC_CHECK(sse.seq == 4);
        /* the id of the last dispatched event, not the pending one */
        CC_CHECK(sse.id_len == 3 && memcmp(sse.id, "2-0", 3) == 0);
        cc_load_sse_free(&sse);
    }

    /* a line may not grow without bound */
    memset(&sse, 0, sizeof(sse));
    for (i = 0; i < CC_LOAD_LINE_MAX / 1024; i++) {
        CC_CHECK(cc_load_sse_feed(&sse, cc_test_repeat('a', 1024), 1024) == 0);
    }
    CC_CHECK(cc_load_sse_feed(&sse, "a", 1) != 0);
    cc_load_sse_free(&sse);

    /* a new connection starts a new event */
    memset(&seen, 0, sizeof(seen));
    memset(&sse, 0, sizeof(sse));
    sse.on_data = on_data;
    sse.arg = &seen;
    CC_CHECK(cc_load_sse_feed(&sse, "data: a\nda", 10) == 0);
    cc_load_sse_reset(&sse);
    CC_CHECK(cc_load_sse_feed(&sse, "data: b\n\n", 9) == 0);
    CC_CHECK(seen.n == 2 && seen.seqs[0] != seen.seqs[1]);
    CC_CHECK(seen.len == 4 && memcmp(seen.data, "a|b|", 4) == 0);
    CC_CHECK(sse.events == 1);
    cc_load_sse_free(&sse);
}


typedef struct {
    uint32_t  t[8];
    uint32_t  s[8];
    unsigned  n;
} tokens_t;


static void
on_token(void *arg, uint32_t target, uint32_t seq)
{
    tokens_t  *k;

    k = arg;
    if (k->n < 8) {
        k->t[k->n] = target;
        k->s[k->n++] = seq;
    }
}


static void
test_tokens(void)
{
    tokens_t     k;
    const char  *s;

    memset(&k, 0, sizeof(k));
    s = "{\"text\":\"cct0x0x\",\"b\":\"acct12x345xcct\",\"c\":\"cct1x2\","
        "\"d\":\"ccx1x1x cct4294967295x4294967295x cct4294967296x1x "
        "cct01x9xcct2x3x\"}";
    CC_CHECK(cc_load_tokens_scan(s, strlen(s), on_token, &k) == 5);
    CC_CHECK(k.n == 5);
    CC_CHECK(k.t[0] == 0 && k.s[0] == 0);
    CC_CHECK(k.t[1] == 12 && k.s[1] == 345);
    CC_CHECK(k.t[2] == 4294967295u && k.s[2] == 4294967295u);
    CC_CHECK(k.t[3] == 1 && k.s[3] == 9);
    CC_CHECK(k.t[4] == 2 && k.s[4] == 3);

    memset(&k, 0, sizeof(k));
    CC_CHECK(cc_load_tokens_scan("cct1x2x", 6, on_token, &k) == 0);
    CC_CHECK(cc_load_tokens_scan("", 0, on_token, &k) == 0);
}


static void
test_stats(void)
{
    char              *out;
    size_t             len;
    FILE              *f;
    uint64_t           v[100];
    unsigned           i;
    cc_load_report_t   r;

    CC_CHECK(cc_load_percentile(NULL, 0, 50) == 0);

    for (i = 0; i < 100; i++) {
        v[i] = 100 - i;   /* 100 .. 1 */
    }

    memset(&r, 0, sizeof(r));
    cc_load_latencies(&r, v, 100);
    CC_CHECK(v[0] == 1 && v[99] == 100);
    CC_CHECK(cc_load_percentile(v, 100, 50) == 50);
    CC_CHECK(cc_load_percentile(v, 100, 99) == 99);
    CC_CHECK(cc_load_percentile(v, 100, 100) == 100);
    CC_CHECK(cc_load_percentile(v, 100, 0) == 1);
    CC_CHECK(cc_load_percentile(v, 1, 99) == 1);
    CC_CHECK(cc_load_percentile(v, 3, 50) == 2);
    CC_CHECK(r.p50_ms == 50e-6 && r.max_ms == 100e-6);

    r.streams = 3;
    r.opened = 2;
    r.failed = 1;
    r.published = 10;
    r.accepted = 8;
    r.rejected = 2;
    r.publish_seconds = 2;
    r.status_codes[202] = 8;
    r.status_codes[429] = 2;

    f = open_memstream(&out, &len);
    CC_CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    cc_load_report_print(f, &r);
    fclose(f);

    CC_CHECK(strncmp(out, "{\"streams\": 3, \"opened\": 2, \"failed\": 1, "
             "\"published\": 10, \"accepted\": 8, \"rejected\": 2, ", 80) == 0);
    CC_CHECK(strstr(out, "\"accepted_per_second\": 4.0,") != NULL);
    CC_CHECK(strstr(out, "\"status_codes\": {\"202\": 8, \"429\": 2}") != NULL);
    CC_CHECK(len > 0 && strchr(out, '\n') == out + len - 1);
    free(out);
}


int
main(void)
{
    test_plan();
    test_head();
    test_chunked();
    test_sse();
    test_tokens();
    test_stats();

    return CC_TEST_DONE();
}
