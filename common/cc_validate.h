#ifndef CC_VALIDATE_H
#define CC_VALIDATE_H

#include <stddef.h>
#include <cjson/cJSON.h>

/*
 * Validation of everything that comes from the network or from files,
 * shared by the module and the router.  Pure functions: no I/O.
 * Lengths called "chars" count UTF-8 code points, all others bytes.
 * Functions that can fail write a reason for the {"error": ...} answer to
 * err (at most errlen bytes, null-terminated).
 */

#define CC_ID_MAX          64    /* call, agent and connection ids */
#define CC_QUEUE_MAX       32
#define CC_SKILL_MAX       32
#define CC_SKILLS_MAX      16    /* skills of a call */
#define CC_NAME_MAX        100   /* chars */
#define CC_TOPIC_MAX       200   /* chars */
#define CC_URL_MAX         2048
#define CC_INFO_KEYS_MAX   32
#define CC_INFO_KEY_MAX    64
#define CC_INFO_VALUE_MAX  512   /* chars */
#define CC_CHAT_MAX        4000  /* chars */
#define CC_LANGUAGE_MAX    35
#define CC_TOKEN_MAX       128
#define CC_VISITOR_MIN     22    /* 128 random bits in base64url */
#define CC_VISITOR_MAX     64
#define CC_ORIGIN_MAX      300   /* scheme://host[:port] */
#define CC_ERR_MAX         128   /* a good size for err */

/* [A-Za-z0-9_-]{1,CC_ID_MAX} */
int cc_valid_id(const char *s, size_t len);

/* [a-z0-9_-]{1,CC_QUEUE_MAX} */
int cc_valid_queue(const char *s, size_t len);

/* a site (callcenter_site, --site): [a-z0-9_-]{1,CC_SITE_MAX}, cc_keys.h */
int cc_valid_site(const char *s, size_t len);

/* a Redis stream id as clients send it: \d{1,20}-\d{1,20}, each part at
 * most 2^64 - 1 (exactly what cc_sse_id_parse() reads) */
int cc_valid_event_id(const char *s, size_t len);

/* an absolute http:// or https:// URL with a host, no space or control
 * character, at most CC_URL_MAX bytes */
int cc_valid_http_url(const char *s, size_t len);

/* well-formed UTF-8: no overlong forms, surrogates, nor past U+10FFFF */
int cc_valid_utf8(const char *s, size_t len);
/* 1..max bytes, none a control character (0x00..0x1f, 0x7f) */
int cc_valid_text(const char *s, size_t len, size_t max);

/*
 * s made well-formed UTF-8 into out: each ill-formed sequence (its maximal
 * subpart, as a WHATWG decoder counts) becomes U+FFFD.  At most size bytes
 * are written, never part of a character; returns how many.
 */
size_t cc_utf8_sanitize(const char *s, size_t len, char *out, size_t size);

/* a call's token: [A-Za-z0-9_-]{1,CC_TOKEN_MAX} */
int cc_valid_token(const char *s, size_t len);

/* the visitor cookie's value: [A-Za-z0-9_-]{CC_VISITOR_MIN,CC_VISITOR_MAX} */
int cc_valid_visitor(const char *s, size_t len);

/* a Content-Type value of application/json, parameters allowed */
int cc_json_content_type(const char *s, size_t len);

/*
 * An origin (RFC 6454) as an Origin header or a configuration names it,
 * "http[s]://host[:port]" with nothing after, compared as written to out
 * (size CC_ORIGIN_MAX + 1): scheme and host in lower case, no port when it
 * is the scheme's own.  Returns its length; 0 when s is no such origin
 * ("null" included).
 */
size_t cc_origin_normalize(const char *s, size_t len, char *out);

/* the number of UTF-8 code points of s */
size_t cc_utf8_chars(const char *s, size_t len);

/*
 * The first language tag of an Accept-Language value ("fr-CH, fr;q=0.9"
 * gives "fr-CH"): [A-Za-z0-9-]{1,CC_LANGUAGE_MAX}, written to out (size
 * CC_LANGUAGE_MAX + 1) with its length returned; 0 when there is none.
 */
size_t cc_first_language(const char *s, size_t len, char *out);

/*
 * A new call, from a POST /call body or from the query of GET /call.
 * queue: "default" unless given; caller: a new object holding the
 * validated name, topic, page and info (numbers and booleans of info
 * stringified, nulls dropped) for the module to add what the request
 * shows; skills: a new array of the validated skills (maybe empty).
 * Unknown fields are ignored.
 */
typedef struct {
    char    queue[CC_QUEUE_MAX + 1];
    cJSON  *caller;
    cJSON  *skills;
} cc_call_request_t;

/* 0 with req filled (free it with cc_call_request_free), -1 with err */
int cc_call_request_parse(const char *body, size_t len,
    cc_call_request_t *req, char *err, size_t errlen);
int cc_call_request_from_json(const cJSON *obj, cc_call_request_t *req,
    char *err, size_t errlen);
void cc_call_request_free(cc_call_request_t *req);

/*
 * A message (chat, typing, whiteboard, signal, page): a new compact JSON
 * string (free() it) holding "type" and that type's fields only, or NULL
 * with err.  from_agent: only agents push pages.
 */
char *cc_message_normalize(const char *body, size_t len, int from_agent,
    char *err, size_t errlen);

/* a message cc_message_normalize gave is delivered live only, never kept
 * (typing) */
int cc_message_live(const char *msg);

/* {"status": "available" | "away"}: the static status string, or NULL */
const char *cc_agent_status_parse(const char *body, size_t len, char *err,
    size_t errlen);

/*
 * {"queue": Q} or {"agent": A}, exactly one: 0 with *kind "queue" or
 * "agent" and target (size CC_ID_MAX + 1) filled, -1 with err
 */
int cc_transfer_parse(const char *body, size_t len, const char **kind,
    char *target, char *err, size_t errlen);

#endif /* CC_VALIDATE_H */
