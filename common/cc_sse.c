#include <string.h>

#include "cc_sse.h"

static int
cc_sse_u64_parse(const char *s, size_t len, uint64_t *v)
{
    size_t    i;
    uint64_t  n, d;

    if (len == 0 || len > 20) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        d = (uint64_t) (s[i] - '0');

        if (n > (UINT64_MAX - d) / 10) {
            return -1;
        }

        n = n * 10 + d;
    }

    *v = n;

    return 0;
}

int
cc_sse_id_parse(const char *s, size_t len, cc_sse_id_t *id)
{
    const char  *dash;
    cc_sse_id_t  v;

    dash = memchr(s, '-', len);

    if (dash == NULL
        || cc_sse_u64_parse(s, (size_t) (dash - s), &v.ms) != 0
        || cc_sse_u64_parse(dash + 1, len - (size_t) (dash - s) - 1, &v.seq)
           != 0)
    {
        return -1;
    }

    *id = v;

    return 0;
}

int
cc_sse_id_cmp(const cc_sse_id_t *a, const cc_sse_id_t *b)
{
    if (a->ms != b->ms) {
        return a->ms < b->ms ? -1 : 1;
    }

    if (a->seq != b->seq) {
        return a->seq < b->seq ? -1 : 1;
    }

    return 0;
}

static size_t
cc_sse_u64_format(char *buf, uint64_t v)
{
    char    tmp[20];
    size_t  n, i;

    n = 0;

    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);

    for (i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }

    return n;
}

size_t
cc_sse_id_format(char *buf, const cc_sse_id_t *id)
{
    size_t  n;

    n = cc_sse_u64_format(buf, id->ms);
    buf[n++] = '-';

    return n + cc_sse_u64_format(buf + n, id->seq);
}

/* the length of the line at s, and in *next the start of the one after */
static size_t
cc_sse_line(const char *s, const char *end, const char **next)
{
    const char  *p;

    for (p = s; p < end; p++) {
        if (*p == '\n') {
            *next = p + 1;
            return (size_t) (p - s);
        }

        if (*p == '\r') {
            *next = (p + 1 < end && p[1] == '\n') ? p + 2 : p + 1;
            return (size_t) (p - s);
        }
    }

    *next = NULL;

    return (size_t) (end - s);
}

#define CC_SSE_ID     "id: "
#define CC_SSE_EVENT  "event: "
#define CC_SSE_DATA   "data: "

size_t
cc_sse_frame_len(size_t id_len, size_t event_len, const char *data,
    size_t data_len)
{
    size_t       len;
    const char  *p, *end;

    len = 1;

    if (id_len) {
        len += sizeof(CC_SSE_ID) - 1 + id_len + 1;
    }

    if (event_len) {
        len += sizeof(CC_SSE_EVENT) - 1 + event_len + 1;
    }

    p = data;
    end = data + data_len;

    do {
        len += sizeof(CC_SSE_DATA) - 1 + cc_sse_line(p, end, &p) + 1;
    } while (p != NULL);

    return len;
}

static char *
cc_sse_field(char *p, const char *name, size_t name_len, const char *value,
    size_t len)
{
    memcpy(p, name, name_len);
    p += name_len;
    memcpy(p, value, len);
    p += len;
    *p++ = '\n';

    return p;
}

char *
cc_sse_frame(char *p, const char *id, size_t id_len, const char *event,
    size_t event_len, const char *data, size_t data_len)
{
    size_t       n;
    const char  *line, *next, *end;

    if (id_len) {
        p = cc_sse_field(p, CC_SSE_ID, sizeof(CC_SSE_ID) - 1, id, id_len);
    }

    if (event_len) {
        p = cc_sse_field(p, CC_SSE_EVENT, sizeof(CC_SSE_EVENT) - 1, event,
                         event_len);
    }

    line = data;
    end = data + data_len;

    do {
        n = cc_sse_line(line, end, &next);
        p = cc_sse_field(p, CC_SSE_DATA, sizeof(CC_SSE_DATA) - 1, line, n);
        line = next;
    } while (line != NULL);

    *p++ = '\n';

    return p;
}

int
cc_sse_message_parse(const char *s, size_t len, cc_sse_message_t *m)
{
    const char  *sp1, *sp2, *end;

    end = s + len;

    sp1 = memchr(s, ' ', len);
    if (sp1 == NULL) {
        return -1;
    }

    sp2 = memchr(sp1 + 1, ' ', (size_t) (end - sp1 - 1));
    if (sp2 == NULL || sp2 == sp1 + 1) {
        return -1;
    }

    m->live = (sp1 - s == 1 && s[0] == '-');

    if (m->live) {
        m->id.ms = 0;
        m->id.seq = 0;

    } else if (cc_sse_id_parse(s, (size_t) (sp1 - s), &m->id) != 0) {
        return -1;
    }

    m->id_str = s;
    m->id_len = (size_t) (sp1 - s);
    m->event = sp1 + 1;
    m->event_len = (size_t) (sp2 - sp1 - 1);
    m->data = sp2 + 1;
    m->data_len = (size_t) (end - sp2 - 1);

    return 0;
}
