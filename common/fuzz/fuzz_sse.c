/*
 * libFuzzer harness for cc_sse: stream id parse/format/compare, published
 * message parse, and event framing.  The first byte picks the entry point.
 * Framing is checked the way a browser reads it: the frame is exactly
 * cc_sse_frame_len() bytes, ends with one blank line, and its data lines
 * joined give back the data with its line breaks made LF.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_fuzz.h"
#include "cc_sse.h"

static void
cc_fuzz_id(const char *s, size_t len)
{
    char         buf[CC_SSE_ID_MAX];
    size_t       n;
    cc_sse_id_t  id, again;

    if (cc_sse_id_parse(s, len, &id) != 0) {
        return;
    }

    n = cc_sse_id_format(buf, &id);
    CC_FUZZ_CHECK(n <= CC_SSE_ID_MAX && n <= len);

    /* the formatted id is the canonical one: it parses back the same */
    CC_FUZZ_CHECK(cc_sse_id_parse(buf, n, &again) == 0);
    CC_FUZZ_CHECK(cc_sse_id_cmp(&id, &again) == 0);
    CC_FUZZ_CHECK(again.ms == id.ms && again.seq == id.seq);
}

static void
cc_fuzz_message(const char *s, size_t len)
{
    cc_sse_message_t  m;

    if (cc_sse_message_parse(s, len, &m) != 0) {
        return;
    }

    CC_FUZZ_CHECK(m.id_str == s && m.event_len > 0);
    CC_FUZZ_CHECK(m.event > s && m.event + m.event_len <= s + len);
    CC_FUZZ_CHECK(m.data >= m.event + m.event_len
                  && m.data + m.data_len == s + len);
    CC_FUZZ_CHECK(memchr(m.event, ' ', m.event_len) == NULL);
}

/* data lines of a frame joined with LF must be the data, breaks as LF */
static void
cc_fuzz_frame(const char *s, size_t len)
{
    char        *buf, *end, *p, *q, *want, *w;
    size_t       n, id_len, event_len, i;
    const char  *id, *event, *data;

    /* two bytes say how long id and event are; neither may hold a break */
    if (len < 2) {
        return;
    }

    id_len = (unsigned char) s[0] % 42;
    event_len = (unsigned char) s[1] % 16;
    s += 2;
    len -= 2;

    if (id_len + event_len > len) {
        return;
    }

    id = s;
    event = s + id_len;
    data = event + event_len;

    for (i = 0; i < id_len + event_len; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            return;
        }
    }

    n = cc_sse_frame_len(id_len, event_len, data, len - id_len - event_len);
    buf = malloc(n);
    want = malloc(len + 1);
    CC_FUZZ_CHECK(buf != NULL && want != NULL);

    end = cc_sse_frame(buf, id, id_len, event, event_len, data,
                       len - id_len - event_len);
    CC_FUZZ_CHECK((size_t) (end - buf) == n);
    CC_FUZZ_CHECK(n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n');

    /* the data as a client must see it */
    w = want;
    for (i = 0; i < len - id_len - event_len; i++) {
        if (data[i] == '\r') {
            *w++ = '\n';
            if (i + 1 < len - id_len - event_len && data[i + 1] == '\n') {
                i++;
            }

        } else {
            *w++ = data[i];
        }
    }

    /* walk the lines: id, event, then only data lines, then a blank one */
    p = buf;
    q = want;

    if (id_len) {
        CC_FUZZ_CHECK(memcmp(p, "id: ", 4) == 0
                      && memcmp(p + 4, id, id_len) == 0
                      && p[4 + id_len] == '\n');
        p += 4 + id_len + 1;
    }

    if (event_len) {
        CC_FUZZ_CHECK(memcmp(p, "event: ", 7) == 0
                      && memcmp(p + 7, event, event_len) == 0
                      && p[7 + event_len] == '\n');
        p += 7 + event_len + 1;
    }

    for ( ;; ) {
        char *nl;

        CC_FUZZ_CHECK(p < end && memcmp(p, "data: ", 6) == 0);
        p += 6;
        nl = memchr(p, '\n', (size_t) (end - p));
        CC_FUZZ_CHECK(nl != NULL && memchr(p, '\r', (size_t) (nl - p)) == NULL);
        CC_FUZZ_CHECK((size_t) (w - q) >= (size_t) (nl - p)
                      && memcmp(q, p, (size_t) (nl - p)) == 0);
        q += nl - p;
        p = nl + 1;

        if (q == w) {
            break;
        }

        CC_FUZZ_CHECK(*q == '\n');
        q++;
    }

    CC_FUZZ_CHECK(p + 1 == end && *p == '\n');

    free(want);
    free(buf);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const cc_fuzz_entry_pt  entries[] = {
        cc_fuzz_id, cc_fuzz_message, cc_fuzz_frame
    };

    return cc_fuzz_dispatch(entries, sizeof(entries) / sizeof(entries[0]),
                            data, size);
}
