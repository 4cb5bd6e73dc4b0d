#ifndef CC_SSE_H
#define CC_SSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Server-sent events framing and Redis stream ids, shared by the module
 * and its tests.  Pure functions: no I/O, no allocation.
 */

/* a Redis stream entry id, "MS-SEQ", both parts unsigned 64-bit decimals */
typedef struct {
    uint64_t    ms;
    uint64_t    seq;
} cc_sse_id_t;

/* "18446744073709551615-18446744073709551615" */
#define CC_SSE_ID_MAX  41

/* 0 and *id set for a well-formed "MS-SEQ", -1 for anything else */
int cc_sse_id_parse(const char *s, size_t len, cc_sse_id_t *id);

/* <0, 0, >0 as a is before, equal to, after b */
int cc_sse_id_cmp(const cc_sse_id_t *a, const cc_sse_id_t *b);

/* writes "MS-SEQ" (no terminator, at most CC_SSE_ID_MAX bytes) to buf,
 * returns its length */
size_t cc_sse_id_format(char *buf, const cc_sse_id_t *id);

/*
 * One event: "id: ID\n" (when id_len), "event: EVENT\n" (when event_len),
 * one "data: LINE\n" for each line of data (lines end with LF, CRLF or
 * CR: a newline in data never breaks the framing), then "\n".
 * cc_sse_frame_len() is the exact size cc_sse_frame() writes; cc_sse_frame()
 * returns the end of what it wrote.
 */
size_t cc_sse_frame_len(size_t id_len, size_t event_len, const char *data,
    size_t data_len);
char *cc_sse_frame(char *p, const char *id, size_t id_len, const char *event,
    size_t event_len, const char *data, size_t data_len);

/*
 * a published message "ID SP EVENT SP DATA"; the pointers point into it.
 * ID "-": a live-only event (live set, id zero), never stored.
 */
typedef struct {
    cc_sse_id_t   id;
    int           live;
    const char   *id_str;
    size_t        id_len;
    const char   *event;
    size_t        event_len;
    const char   *data;
    size_t        data_len;
} cc_sse_message_t;

/* 0 when the id is well-formed and the event name is not empty, else -1 */
int cc_sse_message_parse(const char *s, size_t len, cc_sse_message_t *m);

#endif /* CC_SSE_H */
