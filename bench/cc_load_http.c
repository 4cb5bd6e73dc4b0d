/*
 * What cc-load reads: HTTP/1.x response heads, chunked bodies (nginx
 * streams an SSE answer chunked on HTTP/1.1), the event stream format
 * (html.spec.whatwg.org, "server-sent events") and the tokens in events'
 * data.  Byte-at-a-time state machines where input may stop anywhere; no
 * I/O, the one allocation is an SSE line begun in one read and ended in a
 * later one.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cc_load.h"


size_t
cc_load_head_end(const char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] != '\n') {
            continue;
        }
        if (i + 1 < n && p[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
            return i + 3;
        }
    }

    return 0;
}


/* does the comma list v[0..n) hold token (any case)? */
static int
cc_load_list_has(const char *v, size_t n, const char *token)
{
    size_t  i, start, end, len;

    len = strlen(token);
    start = 0;

    for (i = 0; i <= n; i++) {
        if (i < n && v[i] != ',') {
            continue;
        }

        end = i;
        while (start < end && (v[start] == ' ' || v[start] == '\t')) {
            start++;
        }
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t')) {
            end--;
        }

        if (end - start == len && strncasecmp(v + start, token, len) == 0) {
            return 1;
        }

        start = i + 1;
    }

    return 0;
}


int
cc_load_head_parse(const char *p, size_t n, cc_load_head_t *h)
{
    int          minor, keepalive, close;
    size_t       i, eol, colon, vs, ve, name_len;
    int64_t      length;
    const char  *line, *v;

    memset(h, 0, sizeof(*h));
    h->content_length = -1;

    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')
        || p[8] != ' ' || p[9] < '1' || p[9] > '5'
        || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9'
        || (n > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n'))
    {
        return -1;
    }

    minor = p[7] - '0';
    h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    keepalive = 0;
    close = 0;

    for (i = 0; i < n && p[i] != '\n'; i++) { /* the status line */ }

    while (++i < n) {
        line = p + i;
        for (eol = i; eol < n && p[eol] != '\n'; eol++) { /* void */ }

        ve = eol;
        if (ve > i && p[ve - 1] == '\r') {
            ve--;
        }

        for (colon = i; colon < ve && p[colon] != ':'; colon++) { /* void */ }

        if (colon < ve) {
            name_len = colon - i;
            for (vs = colon + 1; vs < ve && (p[vs] == ' ' || p[vs] == '\t');
                 vs++)
            { /* void */ }
            while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t')) {
                ve--;
            }
            v = p + vs;

            if (name_len == 14 && strncasecmp(line, "content-length", 14) == 0)
            {
                if (vs == ve || ve - vs > 18) {
                    return -1;
                }
                length = 0;
                for (; vs < ve; vs++) {
                    if (p[vs] < '0' || p[vs] > '9') {
                        return -1;
                    }
                    length = length * 10 + (p[vs] - '0');
                }
                if (h->content_length >= 0 && h->content_length != length) {
                    return -1;
                }
                h->content_length = length;

            } else if (name_len == 17
                       && strncasecmp(line, "transfer-encoding", 17) == 0)
            {
                h->chunked = cc_load_list_has(v, ve - vs, "chunked");

            } else if (name_len == 10
                       && strncasecmp(line, "connection", 10) == 0)
            {
                close |= cc_load_list_has(v, ve - vs, "close");
                keepalive |= cc_load_list_has(v, ve - vs, "keep-alive");
            }
        }

        i = eol;
    }

    h->close = close || (minor == 0 && !keepalive);

    if (h->chunked) {
        h->content_length = -1;
    }

    return 0;
}


enum {
    CC_CHUNK_SIZE = 0,
    CC_CHUNK_SIZE_MORE,
    CC_CHUNK_EXT,
    CC_CHUNK_SIZE_LF,
    CC_CHUNK_DATA,
    CC_CHUNK_DATA_CR,
    CC_CHUNK_DATA_LF,
    CC_CHUNK_TRAILER,
    CC_CHUNK_TRAILER_LINE,
    CC_CHUNK_TRAILER_LF
};


static int
cc_load_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char) (c | 0x20);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}


ssize_t
cc_load_chunked_feed(cc_load_chunked_t *c, const char *p, size_t n,
    cc_load_sink_pt sink, void *arg)
{
    int      d;
    size_t   i, take;

    for (i = 0; i < n && !c->done; i++) {
        switch (c->state) {

        case CC_CHUNK_SIZE:
        case CC_CHUNK_SIZE_MORE:
            d = cc_load_hex(p[i]);
            if (d >= 0) {
                if (++c->digits > 15) {
                    return -1;
                }
                c->left = c->left * 16 + (uint64_t) d;
                c->state = CC_CHUNK_SIZE_MORE;
                break;
            }
            if (c->state == CC_CHUNK_SIZE) {
                return -1;
            }
            if (p[i] == ';' || p[i] == ' ' || p[i] == '\t') {
                c->state = CC_CHUNK_EXT;
                break;
            }
            /* fall through */

        case CC_CHUNK_EXT:
            if (p[i] == '\r') {
                c->state = CC_CHUNK_SIZE_LF;
                break;
            }
            if (p[i] != '\n') {
                if (c->state != CC_CHUNK_EXT) {
                    return -1;
                }
                break;
            }
            /* fall through */

        case CC_CHUNK_SIZE_LF:
            if (p[i] != '\n') {
                return -1;
            }
            c->digits = 0;
            c->state = c->left ? CC_CHUNK_DATA : CC_CHUNK_TRAILER;
            break;

        case CC_CHUNK_DATA:
            take = n - i;
            if (take > c->left) {
                take = (size_t) c->left;
            }
            if (sink(arg, p + i, take) != 0) {
                return -1;
            }
            c->left -= take;
            i += take - 1;
            if (c->left == 0) {
                c->state = CC_CHUNK_DATA_CR;
            }
            break;

        case CC_CHUNK_DATA_CR:
            if (p[i] == '\r') {
                c->state = CC_CHUNK_DATA_LF;
                break;
            }
            /* fall through */

        case CC_CHUNK_DATA_LF:
            if (p[i] != '\n') {
                return -1;
            }
            c->state = CC_CHUNK_SIZE;
            break;

        case CC_CHUNK_TRAILER:
            if (p[i] == '\n') {
                c->done = 1;
            } else if (p[i] == '\r') {
                c->state = CC_CHUNK_TRAILER_LF;
            } else {
                c->state = CC_CHUNK_TRAILER_LINE;
            }
            break;

        case CC_CHUNK_TRAILER_LINE:
            if (p[i] == '\n') {
                c->state = CC_CHUNK_TRAILER;
            }
            break;

        case CC_CHUNK_TRAILER_LF:
            if (p[i] != '\n') {
                return -1;
            }
            c->done = 1;
            break;
        }
    }

    return (ssize_t) i;
}


static int
cc_load_field_is(const char *p, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(p, name, n) == 0;
}


static void
cc_load_sse_line(cc_load_sse_t *s, const char *p, size_t n)
{
    size_t  f;

    if (!s->started) {
        s->started = 1;
        if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
            n -= 3;
        }
    }

    if (n == 0) {
        if (s->data) {
            s->events++;
            s->data = 0;
        }
        memcpy(s->id, s->next_id, s->next_id_len);
        s->id_len = s->next_id_len;
        s->seq++;
        return;
    }

    if (p[0] == ':') {
        return;
    }

    for (f = 0; f < n && p[f] != ':'; f++) { /* void */ }

    if (cc_load_field_is(p, f, "data")) {
        s->data = 1;
        if (f < n) {
            f++;
            if (f < n && p[f] == ' ') {
                f++;
            }
        }
        if (s->on_data != NULL) {
            s->on_data(s->arg, p + f, n - f, s->seq);
        }
        return;
    }

    if (cc_load_field_is(p, f, "id")) {
        if (f < n) {
            f++;
            if (f < n && p[f] == ' ') {
                f++;
            }
        }
        /* an id with NUL is ignored (the spec); one too long to resume
         * with is kept out too */
        if (n - f < CC_LOAD_ID_MAX && memchr(p + f, '\0', n - f) == NULL) {
            memcpy(s->next_id, p + f, n - f);
            s->next_id_len = n - f;
        }
    }
}


static int
cc_load_sse_keep(cc_load_sse_t *s, const char *p, size_t n)
{
    size_t   cap;
    char    *q;

    if (s->len + n > CC_LOAD_LINE_MAX) {
        return -1;
    }

    if (s->len + n > s->cap) {
        cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n) {
            cap *= 2;
        }
        q = realloc(s->line, cap);
        if (q == NULL) {
            return -1;
        }
        s->line = q;
        s->cap = cap;
    }

    memcpy(s->line + s->len, p, n);
    s->len += n;

    return 0;
}


int
cc_load_sse_feed(void *sse, const char *p, size_t n)
{
    size_t          len;
    const char     *lf, *cr, *eol;
    cc_load_sse_t  *s;

    s = sse;

    while (n > 0) {
        if (s->cr) {
            s->cr = 0;
            if (p[0] == '\n') {
                p++;
                n--;
                continue;
            }
        }

        lf = memchr(p, '\n', n);
        cr = memchr(p, '\r', lf ? (size_t) (lf - p) : n);
        eol = cr ? cr : lf;

        if (eol == NULL) {
            return cc_load_sse_keep(s, p, n);
        }

        len = (size_t) (eol - p);

        if (s->len) {
            if (cc_load_sse_keep(s, p, len) != 0) {
                return -1;
            }
            cc_load_sse_line(s, s->line, s->len);
            s->len = 0;

        } else {
            if (len > CC_LOAD_LINE_MAX) {
                return -1;
            }
            cc_load_sse_line(s, p, len);
        }

        s->cr = *eol == '\r';
        p = eol + 1;
        n -= len + 1;
    }

    return 0;
}


void
cc_load_sse_reset(cc_load_sse_t *s)
{
    s->len = 0;
    s->cr = 0;
    s->data = 0;
    s->started = 0;
    /* a new connection is a new event: no half of one counts */
    s->seq++;
}


void
cc_load_sse_free(cc_load_sse_t *s)
{
    free(s->line);
    s->line = NULL;
    s->len = s->cap = 0;
}


/* up to 10 digits that fit 32 bits, then 'x'; their length, 0 if none */
static size_t
cc_load_token_number(const char *p, size_t n, uint32_t *v)
{
    size_t    i;
    uint64_t  x;

    x = 0;

    for (i = 0; i < n && i <= 10 && p[i] >= '0' && p[i] <= '9'; i++) {
        x = x * 10 + (uint64_t) (p[i] - '0');
    }

    if (i == 0 || i > 10 || i == n || p[i] != 'x' || x > UINT32_MAX) {
        return 0;
    }

    *v = (uint32_t) x;

    return i + 1;
}


size_t
cc_load_tokens_scan(const char *p, size_t n, cc_load_token_pt found,
    void *arg)
{
    size_t       count, a, b;
    uint32_t     target, seq;
    const char  *c, *end;

    count = 0;
    end = p + n;

    while ((c = memchr(p, 'c', (size_t) (end - p))) != NULL) {
        p = c + 1;

        if (end - c < 7 || c[1] != 'c' || c[2] != 't') {
            continue;
        }

        a = cc_load_token_number(c + 3, (size_t) (end - c - 3), &target);
        if (a == 0) {
            continue;
        }

        b = cc_load_token_number(c + 3 + a, (size_t) (end - c - 3 - a), &seq);
        if (b == 0) {
            continue;
        }

        found(arg, target, seq);
        count++;
        p = c + 3 + a + b;
    }

    return count;
}
