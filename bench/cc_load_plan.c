/*
 * The plan file of cc-load: S lines (streams to open) and P lines (publish
 * targets), fields separated by TAB.  Everything is checked here, so that
 * the event loop only sends what was validated: loopback addresses, paths
 * and header lines without control characters, labels that exist.
 */

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cc_load.h"

typedef struct {
    const char  *p;
    size_t       n;
} cc_load_str_t;

typedef struct {
    char        *p;
    size_t       len;
    size_t       cap;
    int          failed;
} cc_load_buf_t;

typedef struct {
    cc_load_plan_t  *plan;
    unsigned         line;
    unsigned        *target_lines;   /* a target's line, for its labels */
    cc_load_str_t   *target_labels;  /* resolved once every S is known */
    unsigned         cap_streams;
    unsigned         cap_targets;
} cc_load_parse_t;


static int
cc_load_fail(cc_load_parse_t *ps, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    n = 0;
    if (ps->line) {
        n = snprintf(ps->plan->err, sizeof(ps->plan->err), "line %u: ",
                     ps->line);
    }

    va_start(ap, fmt);
    vsnprintf(ps->plan->err + n, sizeof(ps->plan->err) - (size_t) n, fmt, ap);
    va_end(ap);

    return -1;
}


static void
cc_load_buf_add(cc_load_buf_t *b, const char *p, size_t n)
{
    size_t   cap;
    char    *q;

    if (b->failed) {
        return;
    }

    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }

        q = realloc(b->p, cap);
        if (q == NULL) {
            b->failed = 1;
            return;
        }

        b->p = q;
        b->cap = cap;
    }

    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}


static void
cc_load_buf_str(cc_load_buf_t *b, const char *s)
{
    cc_load_buf_add(b, s, strlen(s));
}


static char *
cc_load_dup(cc_load_str_t s)
{
    char  *p;

    p = malloc(s.n + 1);
    if (p != NULL) {
        memcpy(p, s.p, s.n);
        p[s.n] = '\0';
    }

    return p;
}


static int
cc_load_is(cc_load_str_t s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}


/* splits s at each sep (a string of 1 or 2 bytes) into at most max parts */
static size_t
cc_load_split(cc_load_str_t s, const char *sep, cc_load_str_t *parts,
    size_t max)
{
    size_t       n, seplen, i, start;

    seplen = strlen(sep);
    n = 0;
    start = 0;

    for (i = 0; i + seplen <= s.n; i++) {
        if (memcmp(s.p + i, sep, seplen) == 0) {
            if (n < max) {
                parts[n].p = s.p + start;
                parts[n].n = i - start;
            }
            n++;
            start = i + seplen;
            i += seplen - 1;
        }
    }

    if (n < max) {
        parts[n].p = s.p + start;
        parts[n].n = s.n - start;
    }

    return n + 1;
}


/* "127.x.x.x:PORT", "localhost:PORT" or "[::1]:PORT": loopback only */
static int
cc_load_endpoint(cc_load_parse_t *ps, cc_load_str_t s, unsigned *index)
{
    char                  host[64];
    size_t                i, colon;
    unsigned long         port;
    cc_load_plan_t       *plan;
    cc_load_endpoint_t   *ep;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    plan = ps->plan;

    for (i = 0; i < plan->nendpoints; i++) {
        if (cc_load_is(s, plan->endpoints[i].host)) {
            *index = (unsigned) i;
            return 0;
        }
    }

    colon = s.n;
    for (i = s.n; i > 0; i--) {
        if (s.p[i - 1] == ':') {
            colon = i - 1;
            break;
        }
    }

    if (colon == s.n || colon == 0 || colon >= sizeof(host)
        || s.n - colon - 1 == 0 || s.n - colon - 1 > 5)
    {
        return cc_load_fail(ps, "address \"%.*s\" is no host:port",
                            (int) s.n, s.p);
    }

    port = 0;
    for (i = colon + 1; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') {
            return cc_load_fail(ps, "bad port in \"%.*s\"", (int) s.n, s.p);
        }
        port = port * 10 + (unsigned long) (s.p[i] - '0');
    }

    if (port == 0 || port > 65535) {
        return cc_load_fail(ps, "bad port in \"%.*s\"", (int) s.n, s.p);
    }

    if (plan->nendpoints == CC_LOAD_ENDPOINTS_MAX) {
        return cc_load_fail(ps, "more than %d addresses",
                            CC_LOAD_ENDPOINTS_MAX);
    }

    ep = &plan->endpoints[plan->nendpoints];
    memset(ep, 0, sizeof(*ep));
    memcpy(host, s.p, colon);
    host[colon] = '\0';

    if (strcmp(host, "localhost") == 0) {
        strcpy(host, "127.0.0.1");
    }

    sin = (struct sockaddr_in *) &ep->addr;
    sin6 = (struct sockaddr_in6 *) &ep->addr;

    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
            return cc_load_fail(ps, "\"%s\" is not loopback", host);
        }
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t) port);
        ep->addrlen = sizeof(*sin);

    } else if (colon > 2 && host[0] == '[' && host[colon - 1] == ']') {
        host[colon - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1
            || !IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
        {
            return cc_load_fail(ps, "\"%s\" is not loopback", host + 1);
        }
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t) port);
        ep->addrlen = sizeof(*sin6);

    } else {
        return cc_load_fail(ps, "\"%s\" is no loopback address", host);
    }

    ep->host = cc_load_dup(s);
    if (ep->host == NULL) {
        return cc_load_fail(ps, "out of memory");
    }

    *index = plan->nendpoints++;

    return 0;
}


static int
cc_load_path(cc_load_parse_t *ps, cc_load_str_t s)
{
    size_t  i;

    if (s.n == 0 || s.p[0] != '/' || s.n > CC_LOAD_PATH_MAX) {
        return cc_load_fail(ps, "a path starts with / (at most %d bytes)",
                            CC_LOAD_PATH_MAX);
    }

    for (i = 0; i < s.n; i++) {
        if ((unsigned char) s.p[i] <= ' ' || s.p[i] == 0x7f) {
            return cc_load_fail(ps, "a space or control byte in the path");
        }
    }

    return 0;
}


static int
cc_load_header_named(cc_load_str_t line, const char *name)
{
    size_t  n;

    n = strlen(name);

    return line.n > n && line.p[n] == ':' && strncasecmp(line.p, name, n) == 0;
}


#define CC_LOAD_HAS_HOST    1
#define CC_LOAD_HAS_ACCEPT  2
#define CC_LOAD_HAS_LENGTH  4

/* "-" or "Name: value\nName: value" (a literal backslash-n between),
 * appended to b as CRLF-ended lines; returns which of Host, Accept,
 * Content-Length/Transfer-Encoding it names, or -1 */
static int
cc_load_headers(cc_load_parse_t *ps, cc_load_str_t s, cc_load_buf_t *b)
{
    int            has;
    size_t         n, i, j, colon;
    cc_load_str_t  lines[64];

    if (cc_load_is(s, "-")) {
        return 0;
    }

    if (s.n > CC_LOAD_FIELD_MAX) {
        return cc_load_fail(ps, "headers over %u bytes", CC_LOAD_FIELD_MAX);
    }

    n = cc_load_split(s, "\\n", lines, 64);
    if (n > 64) {
        return cc_load_fail(ps, "more than 64 header lines");
    }

    has = 0;

    for (i = 0; i < n; i++) {
        colon = 0;
        for (j = 0; j < lines[i].n; j++) {
            if (lines[i].p[j] == ':') {
                colon = j;
                break;
            }
            if ((unsigned char) lines[i].p[j] <= ' '
                || lines[i].p[j] == 0x7f)
            {
                break;
            }
        }

        if (colon == 0) {
            return cc_load_fail(ps, "header \"%.*s\" is no \"Name: value\"",
                                (int) lines[i].n, lines[i].p);
        }

        for (j = colon + 1; j < lines[i].n; j++) {
            if (((unsigned char) lines[i].p[j] < ' ' && lines[i].p[j] != '\t')
                || lines[i].p[j] == 0x7f)
            {
                return cc_load_fail(ps, "a control byte in a header");
            }
        }

        if (cc_load_header_named(lines[i], "host")) {
            has |= CC_LOAD_HAS_HOST;
        }
        if (cc_load_header_named(lines[i], "accept")) {
            has |= CC_LOAD_HAS_ACCEPT;
        }
        if (cc_load_header_named(lines[i], "content-length")
            || cc_load_header_named(lines[i], "transfer-encoding"))
        {
            has |= CC_LOAD_HAS_LENGTH;
        }

        cc_load_buf_add(b, lines[i].p, lines[i].n);
        cc_load_buf_str(b, "\r\n");
    }

    return has;
}


/* "METHOD path HTTP/1.1", Host unless given, headers; into *head */
static int
cc_load_request(cc_load_parse_t *ps, const char *method, cc_load_str_t path,
    unsigned endpoint, cc_load_str_t headers, int sse, char **head,
    size_t *head_len)
{
    int            has;
    cc_load_buf_t  h, b;

    if (cc_load_path(ps, path) != 0) {
        return -1;
    }

    memset(&h, 0, sizeof(h));
    memset(&b, 0, sizeof(b));

    has = cc_load_headers(ps, headers, &h);
    if (has < 0) {
        free(h.p);
        return -1;
    }

    if (!sse && (has & CC_LOAD_HAS_LENGTH)) {
        free(h.p);
        return cc_load_fail(ps, "Content-Length is computed, not given");
    }

    cc_load_buf_str(&b, method);
    cc_load_buf_str(&b, " ");
    cc_load_buf_add(&b, path.p, path.n);
    cc_load_buf_str(&b, " HTTP/1.1\r\n");

    if (!(has & CC_LOAD_HAS_HOST)) {
        cc_load_buf_str(&b, "Host: ");
        cc_load_buf_str(&b, ps->plan->endpoints[endpoint].host);
        cc_load_buf_str(&b, "\r\n");
    }

    /* what makes Nchan answer an EventSource, and is right anyway */
    if (sse && !(has & CC_LOAD_HAS_ACCEPT)) {
        cc_load_buf_str(&b, "Accept: text/event-stream\r\n");
    }

    if (h.len) {
        cc_load_buf_add(&b, h.p, h.len);
    }

    free(h.p);

    if (b.failed || h.failed) {
        free(b.p);
        return cc_load_fail(ps, "out of memory");
    }

    *head = b.p;
    *head_len = b.len;

    return 0;
}


static int
cc_load_label_ok(cc_load_str_t s)
{
    size_t  i;

    if (s.n == 0 || s.n > CC_LOAD_LABEL_MAX) {
        return 0;
    }

    for (i = 0; i < s.n; i++) {
        if ((unsigned char) s.p[i] <= ' ' || s.p[i] == ',' || s.p[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* *array grown to cap elements of size */
static int
cc_load_grow(void **array, unsigned cap, size_t size)
{
    void  *p;

    p = realloc(*array, cap * size);
    if (p == NULL) {
        return -1;
    }

    *array = p;

    return 0;
}


static int
cc_load_stream_line(cc_load_parse_t *ps, cc_load_str_t *f, size_t nf)
{
    unsigned           cap;
    cc_load_plan_t    *plan;
    cc_load_stream_t  *s;

    plan = ps->plan;

    if (nf != 5) {
        return cc_load_fail(ps, "S takes 4 fields: label, host:port, path, "
                            "headers (got %zu)", nf - 1);
    }

    if (!cc_load_label_ok(f[1])) {
        return cc_load_fail(ps, "bad label \"%.*s\"", (int) f[1].n, f[1].p);
    }

    if (plan->nstreams == CC_LOAD_SOCKETS_MAX) {
        return cc_load_fail(ps, "more than %d streams", CC_LOAD_SOCKETS_MAX);
    }

    if (plan->nstreams == ps->cap_streams) {
        cap = ps->cap_streams ? ps->cap_streams * 2 : 64;
        if (cc_load_grow((void **) &plan->streams, cap,
                         sizeof(cc_load_stream_t)) != 0)
        {
            return cc_load_fail(ps, "out of memory");
        }
        ps->cap_streams = cap;
    }

    s = &plan->streams[plan->nstreams];
    memset(s, 0, sizeof(*s));

    if (cc_load_endpoint(ps, f[2], &s->endpoint) != 0) {
        return -1;
    }

    s->label = cc_load_dup(f[1]);
    if (s->label == NULL) {
        return cc_load_fail(ps, "out of memory");
    }

    plan->nstreams++;

    return cc_load_request(ps, "GET", f[3], s->endpoint, f[4], 1, &s->head,
                           &s->head_len);
}


static int
cc_load_target_line(cc_load_parse_t *ps, cc_load_str_t *f, size_t nf)
{
    char               method[17];
    size_t             i;
    unsigned           cap;
    cc_load_plan_t    *plan;
    cc_load_target_t  *t;

    plan = ps->plan;

    if (nf != 7) {
        return cc_load_fail(ps, "P takes 6 fields: host:port, method, path, "
                            "headers, body, labels (got %zu)", nf - 1);
    }

    if (f[2].n == 0 || f[2].n >= sizeof(method)) {
        return cc_load_fail(ps, "bad method");
    }

    for (i = 0; i < f[2].n; i++) {
        if (f[2].p[i] < 'A' || f[2].p[i] > 'Z') {
            return cc_load_fail(ps, "bad method");
        }
        method[i] = f[2].p[i];
    }
    method[i] = '\0';

    if (f[5].n > CC_LOAD_FIELD_MAX) {
        return cc_load_fail(ps, "a body over %u bytes", CC_LOAD_FIELD_MAX);
    }

    if (plan->ntargets == ps->cap_targets) {
        cap = ps->cap_targets ? ps->cap_targets * 2 : 64;
        if (cap > (1u << 24)) {
            return cc_load_fail(ps, "too many P lines");
        }
        if (cc_load_grow((void **) &plan->targets, cap,
                         sizeof(cc_load_target_t)) != 0
            || cc_load_grow((void **) &ps->target_labels, cap,
                            sizeof(cc_load_str_t)) != 0
            || cc_load_grow((void **) &ps->target_lines, cap,
                            sizeof(unsigned)) != 0)
        {
            return cc_load_fail(ps, "out of memory");
        }
        ps->cap_targets = cap;
    }

    t = &plan->targets[plan->ntargets];
    memset(t, 0, sizeof(*t));
    ps->target_labels[plan->ntargets] = f[6];
    ps->target_lines[plan->ntargets] = ps->line;
    plan->ntargets++;

    if (cc_load_endpoint(ps, f[1], &t->endpoint) != 0) {
        return -1;
    }

    t->body = cc_load_dup(f[5]);
    if (t->body == NULL) {
        return cc_load_fail(ps, "out of memory");
    }
    t->body_len = f[5].n;

    for (i = 0; i + 1 < t->body_len; i++) {
        if (t->body[i] == '%' && t->body[i + 1] == 'T') {
            t->tokens++;
            i++;
        }
    }

    return cc_load_request(ps, method, f[3], t->endpoint, f[4], 0, &t->head,
                           &t->head_len);
}


static const cc_load_plan_t  *cc_load_sort_plan;

static int
cc_load_label_cmp(const void *a, const void *b)
{
    return strcmp(cc_load_sort_plan->streams[*(const uint32_t *) a].label,
                  cc_load_sort_plan->streams[*(const uint32_t *) b].label);
}


static int
cc_load_u32_cmp(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}


static int
cc_load_labels(cc_load_parse_t *ps)
{
    char               label[CC_LOAD_LABEL_MAX + 1];
    size_t             n, i, lo, hi, mid;
    int                c;
    uint32_t          *by_label;
    unsigned           t, k;
    cc_load_str_t      s, part;
    cc_load_plan_t    *plan;
    cc_load_target_t  *target;

    plan = ps->plan;

    by_label = malloc((plan->nstreams + 1) * sizeof(uint32_t));
    if (by_label == NULL) {
        return cc_load_fail(ps, "out of memory");
    }

    for (i = 0; i < plan->nstreams; i++) {
        by_label[i] = (uint32_t) i;
    }

    cc_load_sort_plan = plan;
    qsort(by_label, plan->nstreams, sizeof(uint32_t), cc_load_label_cmp);

    for (i = 1; i < plan->nstreams; i++) {
        if (cc_load_label_cmp(&by_label[i - 1], &by_label[i]) == 0) {
            ps->line = 0;
            cc_load_fail(ps, "label \"%s\" names two streams",
                         plan->streams[by_label[i]].label);
            free(by_label);
            return -1;
        }
    }

    for (t = 0; t < plan->ntargets; t++) {
        target = &plan->targets[t];
        s = ps->target_labels[t];
        ps->line = ps->target_lines[t];

        if (cc_load_is(s, "-") || s.n == 0) {
            continue;
        }

        n = 1;
        for (i = 0; i < s.n; i++) {
            n += s.p[i] == ',';
        }

        target->labels = malloc(n * sizeof(uint32_t));
        if (target->labels == NULL) {
            free(by_label);
            return cc_load_fail(ps, "out of memory");
        }

        for (k = 0; k < n; k++) {
            cc_load_split(s, ",", &part, 1);
            s.p += part.n + 1;
            s.n -= part.n < s.n ? part.n + 1 : s.n;

            if (!cc_load_label_ok(part)) {
                free(by_label);
                return cc_load_fail(ps, "bad label \"%.*s\"", (int) part.n,
                                    part.p);
            }

            memcpy(label, part.p, part.n);
            label[part.n] = '\0';

            lo = 0;
            hi = plan->nstreams;
            c = 1;
            while (lo < hi) {
                mid = (lo + hi) / 2;
                c = strcmp(label, plan->streams[by_label[mid]].label);
                if (c == 0) {
                    break;
                }
                if (c < 0) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }

            if (c != 0) {
                free(by_label);
                return cc_load_fail(ps, "no stream is labelled \"%s\"", label);
            }

            target->labels[k] = by_label[mid];
        }

        target->nlabels = (unsigned) n;
        qsort(target->labels, n, sizeof(uint32_t), cc_load_u32_cmp);

        for (k = 1; k < n; k++) {
            if (target->labels[k] == target->labels[k - 1]) {
                free(by_label);
                return cc_load_fail(ps, "label \"%s\" named twice",
                    plan->streams[target->labels[k]].label);
            }
        }

        plan->nlabels += n;
    }

    free(by_label);

    return 0;
}


int
cc_load_plan_parse(cc_load_plan_t *plan, const char *text, size_t len)
{
    int              rc;
    size_t           nf, end;
    cc_load_str_t    line, f[8];
    cc_load_parse_t  ps;

    memset(plan, 0, sizeof(*plan));
    memset(&ps, 0, sizeof(ps));
    ps.plan = plan;
    rc = 0;

    while (len > 0 && rc == 0) {
        ps.line++;

        for (end = 0; end < len && text[end] != '\n'; end++) {
            if (text[end] == '\0') {
                rc = cc_load_fail(&ps, "a NUL byte");
                break;
            }
        }

        if (rc != 0) {
            break;
        }

        line.p = text;
        line.n = end;
        text += end < len ? end + 1 : end;
        len -= end < len ? end + 1 : end;

        if (line.n > 0 && line.p[line.n - 1] == '\r') {
            line.n--;
        }

        if (line.n == 0 || line.p[0] == '#') {
            continue;
        }

        nf = cc_load_split(line, "\t", f, 8);

        if (cc_load_is(f[0], "S")) {
            rc = cc_load_stream_line(&ps, f, nf);

        } else if (cc_load_is(f[0], "P")) {
            rc = cc_load_target_line(&ps, f, nf);

        } else {
            rc = cc_load_fail(&ps, "a line starts with S or P and a TAB");
        }
    }

    if (rc == 0 && plan->nstreams == 0 && plan->ntargets == 0) {
        rc = cc_load_fail(&ps, "the plan is empty");
    }

    if (rc == 0) {
        rc = cc_load_labels(&ps);
    }

    free(ps.target_labels);
    free(ps.target_lines);

    return rc;
}


void
cc_load_plan_free(cc_load_plan_t *plan)
{
    unsigned  i;

    for (i = 0; i < plan->nendpoints; i++) {
        free(plan->endpoints[i].host);
    }

    for (i = 0; i < plan->nstreams; i++) {
        free(plan->streams[i].label);
        free(plan->streams[i].head);
    }

    for (i = 0; i < plan->ntargets; i++) {
        free(plan->targets[i].head);
        free(plan->targets[i].body);
        free(plan->targets[i].labels);
    }

    free(plan->streams);
    free(plan->targets);
    plan->streams = NULL;
    plan->targets = NULL;
    plan->nendpoints = plan->nstreams = plan->ntargets = 0;
}


size_t
cc_load_token_format(char *buf, uint32_t target, uint32_t seq)
{
    return (size_t) snprintf(buf, CC_LOAD_TOKEN_MAX, "cct%" PRIu32 "x%" PRIu32
                             "x", target, seq);
}


size_t
cc_load_body_len(const cc_load_target_t *t)
{
    return t->body_len + (size_t) t->tokens * CC_LOAD_TOKEN_MAX;
}


size_t
cc_load_body_fill(char *buf, const cc_load_target_t *t, unsigned index,
    uint32_t seq)
{
    char    token[CC_LOAD_TOKEN_MAX];
    size_t  i, n, tn;

    tn = cc_load_token_format(token, index, seq);
    n = 0;

    for (i = 0; i < t->body_len; i++) {
        if (t->body[i] == '%' && i + 1 < t->body_len && t->body[i + 1] == 'T') {
            memcpy(buf + n, token, tn);
            n += tn;
            i++;
            continue;
        }
        buf[n++] = t->body[i];
    }

    return n;
}
